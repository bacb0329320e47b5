"""Rate limits through several gunicorn workers: exact when the workers count in Redis, multiplied
when each counts in its own memory, and still there when Redis stops answering."""
import os
import socket
import threading
import time
from contextlib import contextmanager

import pytest
import redis

from bench.harness import Browser, free_port, gunicorn, hidden_fields
from tiers_lieu.accounts.service import create_user
from tiers_lieu.desk.models import QueueTicket
from tiers_lieu.extensions import db

from .factories import make_slots, make_topic
from .conftest import empty_database, make_app

# This file's own Redis database, emptied before and after each test: one per test process
# (pytest-xdist's gw0, gw1…, four at most), so that two tests never empty each other's.
REDIS_DB = 11 - int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % 4
WORKERS = 3
LIMIT = 5
ATTEMPTS = LIMIT * WORKERS  # enough for every worker to reach the limit if each counted alone
WRONG = "not the password at all"


@pytest.fixture
def redis_db():
    store = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_connect_timeout=1)
    try:
        store.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail("Redis must answer on 127.0.0.1:6379: CI tests the limits across workers")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    store.flushdb()
    yield f"redis://127.0.0.1:6379/{REDIS_DB}"
    store.flushdb()
    store.close()


@pytest.fixture
def sqlite_app(database_urls):
    """The app on the SQLite database alone, for what does not depend on the database."""
    app = make_app(database_urls["sqlite"])
    with app.app_context():
        yield app
    empty_database(app)


@contextmanager
def served(app, storage, workers=WORKERS, log_dir=None):
    """gunicorn on the app's database with low limits; yields its address and a reader of the PIDs
    of the workers that answered each POST since the last reading."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "limits-test-secret",
           "TIERS_LIEU_CONFIG": "config.Config", "RATELIMIT_STORAGE_URI": storage,
           "LOGIN_FAILURES_PER_ACCOUNT": f"{LIMIT} per hour", "LOOKUP_FAILURES_PER_CODE": f"{LIMIT} per hour",
           "KIOSK_TICKETS_PER_ADDRESS": f"{LIMIT} per hour"}
    log = log_dir / "access.log"
    log.touch()
    # --preload: workers forked from the loaded app start at once, where three importing it each
    # take ten seconds on a busy machine. Nothing connects before the fork (the counters either).
    args = ["--preload", "--access-logfile", str(log), "--access-logformat", "%(p)s %(m)s"]
    with gunicorn(env, workers=workers, args=args) as base:
        wait_for_workers(base, log, workers)
        read = log.stat().st_size

        def pids_of_posts():
            nonlocal read
            time.sleep(0.2)  # each worker writes its line once its answer is sent
            with log.open() as lines:
                lines.seek(read)
                posted = [line.split()[0] for line in lines if line.split()[1:] == ["POST"]]
                read = lines.tell()
            return posted

        yield base, pids_of_posts


def wait_for_workers(base, log, workers):
    """Until every worker has answered once: a worker still booting would take no request."""
    deadline = time.monotonic() + 30
    while len({line.split()[0] for line in log.read_text().splitlines()}) < workers:
        assert time.monotonic() < deadline, "gunicorn's workers did not all start"
        Browser(base).get("/healthz")


def form_page(base, path):
    """A fresh browser that has loaded the form: its cookie jar and the form's CSRF token."""
    browser = Browser(base)
    status, page = browser.get(path)
    assert status == 200
    return browser, hidden_fields(page)["csrf_token"]


def failed_logins(base, email):
    """Wrong passwords one after the other, each on its own connection (so on the next worker)."""
    browser, token = form_page(base, "/login")
    return [browser.post("/login", {"csrf_token": token, "email": email, "password": WRONG}) for _ in range(ATTEMPTS)]


def all_at_once(base, form_path, path, fields):
    """ATTEMPTS browsers load the form, then send it at the same instant."""
    browsers = [form_page(base, form_path) for _ in range(ATTEMPTS)]
    barrier = threading.Barrier(ATTEMPTS)
    answers, lock = [], threading.Lock()

    def send(browser, token):
        barrier.wait()
        answer = browser.post(path, {"csrf_token": token, **fields})
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=send, args=browser) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def statuses(answers):
    return [status for status, _ in answers]


def test_limits_hold_exactly_across_workers_counting_in_redis(app, redis_db, tmp_path, make_booking):
    user = create_user("guessed@example.org", "Guessed", "orange kettle under the bridge")
    other_email = create_user("other@example.org", "Other", "orange kettle under the bridge").email
    topic = make_topic()
    topic_slug = topic.slug
    booking = make_booking(make_slots(topic)[0], topic=topic, code="K7M4QP", phone="+33612345678")
    with served(app, redis_db, log_dir=tmp_path) as (base, pids_of_posts):
        logins = failed_logins(base, user.email)
        assert statuses(logins) == [200] * LIMIT + [429] * (ATTEMPTS - LIMIT)
        assert "Adresse e-mail ou mot de passe incorrect" in logins[0][1]
        assert "Trop de tentatives" in logins[-1][1]  # the app's own translated page

        browser, token = form_page(base, "/booking?lang=en")
        lookups = [browser.post("/booking", {"csrf_token": token, "code": booking.code, "contact": "06 99 99 99 99"})
                   for _ in range(ATTEMPTS)]
        assert statuses(lookups) == [200] * LIMIT + [429] * (ATTEMPTS - LIMIT)
        assert "We found no appointment" in lookups[0][1] and "Too many attempts" in lookups[-1][1]

        # Kiosk presses from separate devices of one address, all at once: each counts as it comes.
        pressed = all_at_once(base, "/kiosk", "/kiosk/ticket", {"topic": topic_slug})
        assert sorted(statuses(pressed)) == [200] * LIMIT + [429] * (ATTEMPTS - LIMIT)

        # Wrong passwords all sent at once: each is counted as it arrives, so exactly the limit
        # is answered however the workers interleave.
        guesses = all_at_once(base, "/login", "/login", {"email": other_email, "password": WRONG})
        assert sorted(statuses(guesses)) == [200] * LIMIT + [429] * (ATTEMPTS - LIMIT)
        # Several workers answered: had each counted alone, each would have let LIMIT through.
        # (One after the other, posts may all reach the same worker; sent at once, they spread.)
        assert len(set(pids_of_posts())) >= 2
        # The counters name what was guessed by a keyed digest: the store holds no staff
        # address and no booking code, only the names of the counters.
        stored = " ".join(key.decode() for key in redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).keys())
        assert "login-account:" in stored and "lookup-code:" in stored
        for secret in (user.email, other_email, "guessed@", "other@", booking.code):
            assert secret.lower() not in stored.lower()
    assert db.session.execute(db.select(db.func.count(QueueTicket.id))).scalar_one() == LIMIT


def test_counted_in_each_worker_the_limit_is_multiplied(sqlite_app, tmp_path):
    """The contrast: what the test above would see if the workers did not share their counts."""
    user = create_user("guessed@example.org", "Guessed", "orange kettle under the bridge")
    with served(sqlite_app, "memory://", log_dir=tmp_path) as (base, pids_of_posts):
        guesses = all_at_once(base, "/login", "/login", {"email": user.email, "password": WRONG})
        let_through = statuses(guesses).count(200)
        assert len(set(pids_of_posts())) >= 2
    assert let_through > LIMIT


@contextmanager
def silent_server():
    """A Redis address that accepts connections and never answers (a frozen or unreachable host)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


@contextmanager
def refusing_server():
    """A Redis address where nothing listens (Redis restarting)."""
    yield f"redis://127.0.0.1:{free_port()}/0"


@pytest.mark.parametrize("redis_down", [refusing_server, silent_server])
def test_without_redis_pages_answer_and_each_worker_still_limits(sqlite_app, tmp_path, redis_down):
    user = create_user("guessed@example.org", "Guessed", "orange kettle under the bridge")
    with redis_down() as storage, served(sqlite_app, storage, workers=1, log_dir=tmp_path) as (base, _):
        browser, token = form_page(base, "/login")
        answers, waits = [], []
        for _ in range(LIMIT + 2):
            started = time.monotonic()
            answers.append(browser.post("/login", {"csrf_token": token, "email": user.email, "password": WRONG}))
            waits.append(time.monotonic() - started)
    assert statuses(answers) == [200] * LIMIT + [429] * 2
    # A second to give up on a silent Redis, and another now and then to see whether it is back.
    assert max(waits) < 5
