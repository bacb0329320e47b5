"""Request bodies: MAX_CONTENT_LENGTH and MAX_FORM_PARTS hold for url-encoded forms too.

Werkzeug counts the parts of a multipart body only, while every form of the app is sent
url-encoded: within MAX_CONTENT_LENGTH, "a&a&a…" would still make a hundred thousand fields.
"""
from io import BytesIO

from flask import Request as FlaskRequest
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

URLENCODED = "application/x-www-form-urlencoded"


class FieldCountingParser(FormDataParser):
    def parse(self, stream, mimetype, content_length, options=None):
        if mimetype == URLENCODED:
            # The stream stops at MAX_CONTENT_LENGTH, so reading it whole is bounded. A chunked
            # body (no Content-Length) is cut there without a word: reading on raises the 413
            # rather than letting the form be read from what was cut.
            body = stream.read()
            stream.read(1)
            if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
                raise RequestEntityTooLarge()
            stream = BytesIO(body)
        return super().parse(stream, mimetype, content_length, options)


class Request(FlaskRequest):
    form_data_parser_class = FieldCountingParser
