"""Write communes.csv from the `communes.json` of @etalab/decoupage-administratif.

    npm pack @etalab/decoupage-administratif && tar xzf etalab-decoupage-administratif-*.tgz
    python tiers_lieu/core/data/build_communes.py package/data/communes.json

The data is INSEE's Code officiel géographique with La Poste's postal codes, under the Licence
Ouverte 2.0 (README, "Data shipped with the app"). Only what the app reads is kept: the current
communes and the municipal arrondissements of Paris, Lyon and Marseille, with their INSEE code, name,
postal codes and department. Delegated and associated communes are left out: they have no INSEE
code of their own in the national files the centre publishes to.
"""
import csv
import json
import sys
from pathlib import Path

KEPT_TYPES = {"commune-actuelle", "arrondissement-municipal"}


def build(source, target):
    communes = json.loads(Path(source).read_text(encoding="utf-8"))
    rows = sorted((commune["code"], commune["nom"], " ".join(commune.get("codesPostaux", [])), commune["departement"])
                  for commune in communes if commune["type"] in KEPT_TYPES)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("insee_code", "name", "postal_codes", "department"))
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    print(build(sys.argv[1], Path(__file__).with_name("communes.csv")), "communes written")
