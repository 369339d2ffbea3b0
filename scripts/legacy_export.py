"""Writes a synthetic Cliclavoro export for `make bench`: <rows> accounts as CSV, every hash
format in turn (hashes of "bench-password-1", cheap parameters), with one row in 1,000 broken
(bad email) and one in 1,000 repeating an earlier username.

Usage: legacy_export.py <rows> <path.csv>
"""

import csv
import sys

HASHES = [
    "$2a$04$KBCwKxOzLha2MUDgW0PjXejkkKoQApHFUDlLkeLE.ZmIfYz4puXnG",
    "$2b$04$KBCwKxOzLha2MUDgW0PjXejkkKoQApHFUDlLkeLE.ZmIfYz4puXnG",
    "$2y$04$KBCwKxOzLha2MUDgW0PjXejkkKoQApHFUDlLkeLE.ZmIfYz4puXnG",
    "$argon2id$v=19$m=256,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$1pYAP92w3dJq6fE3Ju/MnSBF/6+wpIsOKyFLcvOGf3w",
    "$pbkdf2-sha256$i=10000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$ZJ/Sb4YQ4tTEej0Xa+LFxv6Re1l+eck1jOgsRUtdL8Q",
    "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$f/TG54ztOd/noolH2bhugJSOFQQCQAluQzegipIF4DA",
    "sha256$NaCl$c2d1cd60574d88fc56ee1f0113bad692b8ab67923a9223601a35d787667df01c",
]


def main(rows, path):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["username", "email", "name", "surname", "password_hash"])
        for i in range(rows):
            username = f"utente.{i - 500 if i % 1000 == 999 else i}"
            email = "not-an-address" if i % 1000 == 500 else f"{username}@example.org"
            writer.writerow([username, email, "Olga", "Kowalska", HASHES[i % len(HASHES)]])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(int(sys.argv[1]), sys.argv[2])
