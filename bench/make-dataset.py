#!/usr/bin/env python3
"""Writes a deterministic data set that looks like Microsoft 365 data, for bench/ingest.sh.

    python3 bench/make-dataset.py SIZE_GB OUT_DIR [--seed N]

The same SIZE_GB and seed always give the same bytes (1 GB = 10^9 bytes). By bytes:

- ~35% mail: one folder per mailbox (`mailbox-uNNNN/Inbox|Sent Items|Archive/*.eml`),
  MIME messages with text bodies of 2-100 KB built from a shared pool of phrases plus
  a per-company signature and disclaimer, so they compress like real mail; about a
  third carry a base64 attachment (10 KB-1 MB) drawn, Zipf-like, from a shared pool,
  so the same attachment recurs across mailboxes.
- ~45% OneDrive documents (`onedrive-uNNNN/Documents/*`): office-like XML text,
  100 KB-20 MB, compressible; ~15% are exact copies of shared documents found in
  several users' drives, ~15% are near-duplicates of an earlier document with a few
  small edits and an inserted paragraph, the rest unique.
- ~20% media (`onedrive-uNNNN/Pictures/*.jpg`): JPEG-like files of random bytes,
  200 KB-12 MB, incompressible; ~10% are copies of another user's photo.

Standard library only. Incompressible bytes come from random.Random(seed).randbytes.
"""

import argparse
import base64
import functools
import math
import os
import random
import sys
import time

MAIL_SHARE, DOC_SHARE = 0.35, 0.45  # media gets the rest

WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but have an they "
    "you were her she there been one all we their has would when if so no will more about can out up them some could "
    "what into time only other new these two may then do first any like now my such its over also after our well "
    "project meeting report budget quarter customer contract invoice deadline review draft proposal schedule team "
    "update status please thanks regards attached agenda minutes follow action item owner risk issue release plan "
    "forecast revenue margin sales marketing product launch roadmap feature support ticket escalation account "
    "renewal pricing discount approval legal compliance policy security audit training onboarding hiring offer "
    "candidate interview feedback performance objective milestone delivery vendor supplier order shipment warehouse "
    "inventory travel expense reimbursement conference workshop presentation slides spreadsheet document version "
    "comment change request tomorrow today yesterday monday tuesday wednesday thursday friday morning afternoon "
    "call phone office remote site regional global north south east west europe america asia board director manager "
    "engineer analyst consultant partner client service network server database backup restore migration tenant "
    "mailbox license subscription renewal upgrade outage incident maintenance window weekend holiday confirm "
    "discuss share send receive check verify prepare finalize submit approve reject schedule reschedule cancel"
).split()

FIRST = "Anna Ben Chloe David Emma Felix Grace Hugo Iris Jack Karin Leo Mia Noah Olga Paul Rosa Sam Tina Umar Vera Will Yara Zoe".split()
LAST = "Smith Meyer Dubois Rossi Novak Jensen Garcia Silva Kowalski Berg Muller Laurent Costa Weber Lind Moreau Fischer Ivanova".split()


def zipf_index(rng, n, s=1.1):
    """An index in [0, n) with a Zipf-like bias towards small indexes."""
    return min(n - 1, int(n ** rng.random() ** s) - 1) if n > 1 else 0


class Text:
    """Text from a fixed pool of short phrases (2-6 words drawn Zipf-like from a vocabulary).

    Phrases are short, so any 64-byte window spans several of them and is almost never
    repeated elsewhere: content-defined chunking finds boundaries as in real text, while
    zstd still finds the repeated phrases (about 3x, like mail).
    """

    def __init__(self, rng, count=50000):
        weights = [1 / (i + 1) for i in range(len(WORDS))]
        pool = []
        for _ in range(count):
            words = rng.choices(WORDS, weights, k=rng.randint(2, 6))
            if rng.random() < 0.2:
                words[0] = words[0].capitalize()
            phrase = " ".join(words)
            roll = rng.random()
            if roll < 0.15:
                phrase += "."
            elif roll < 0.2:
                phrase += ","
            if rng.random() < 0.1:
                phrase += f" {rng.randint(1, 99999)}"
            pool.append((phrase + " ").encode())
        self.pool = pool

    def text(self, rng, n, line=4, wrap=b"\n", unique=40):
        """About n bytes: phrases, `wrap` every `line` phrases, a unique number every `unique`."""
        k = n // 18 + 1
        picks = rng.choices(self.pool, k=k)
        for i in range(0, k, line):
            picks[i] = wrap + picks[i]
        for i in range(line // 2, k, unique):
            picks[i] = b"%s%08x " % (picks[i], rng.getrandbits(32))
        out = b"".join(picks)
        while len(out) < n:
            out += b"".join(rng.choices(self.pool, k=k))
        return out[:n]


def log_uniform(rng, lo, hi):
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


class Generator:
    def __init__(self, size_bytes, out, seed):
        self.size = size_bytes
        self.out = out
        self.seed = seed
        rng = random.Random(seed)
        self.words = Text(rng)
        self.users = max(2, round(size_bytes / 64e6))
        self.people = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(self.users)]
        self.disclaimer = self.words.text(rng, 700)
        self.attachments = 50 + 10 * self.users
        self.shared_docs = 10 + self.users
        self.written = 0
        self.files = 0
        self.started = time.monotonic()

    # ---- writing ----
    def write(self, rel, data):
        path = os.path.join(self.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        self.written += len(data)
        self.files += 1
        if self.files % 2000 == 0:
            rate = self.written / 1e6 / max(time.monotonic() - self.started, 1e-9)
            print(f"  {self.files} files, {self.written / 1e9:.2f} GB, {rate:.0f} MB/s", file=sys.stderr)

    # ---- content ----
    @functools.lru_cache(maxsize=128)
    def attachment(self, i):
        """Attachment i of the shared pool: (file name, content type, base64 lines)."""
        rng = random.Random(f"{self.seed}/attachment/{i}")
        size = log_uniform(rng, 10_000, 1_000_000)
        if rng.random() < 0.6:  # already compressed: pdf, docx, png
            name, ctype = rng.choice([("pdf", "application/pdf"), ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), ("png", "image/png")])
            data = rng.randbytes(size)
        else:
            name, ctype = rng.choice([("csv", "text/csv"), ("txt", "text/plain"), ("ics", "text/calendar")])
            data = self.words.text(rng, size, line=3, wrap=b"\r\n")
        return f"{name.upper()}-{i:05d}.{name}", ctype, base64.encodebytes(data)

    def mail(self, rng, user, n):
        sender = rng.randrange(self.users)
        when = 1_600_000_000 + rng.randrange(100_000_000)
        subject = b"".join(rng.choices(self.words.pool, k=4))[:70].strip()
        boundary = f"b1_{rng.getrandbits(64):016x}"
        head = (
            f"Return-Path: <{self.people[sender].split()[0].lower()}@contoso.example>\r\n"
            f"From: {self.people[sender]} <{self.people[sender].replace(' ', '.').lower()}@contoso.example>\r\n"
            f"To: {self.people[user]} <{self.people[user].replace(' ', '.').lower()}@contoso.example>\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(when))}\r\n"
            f"Message-ID: <{rng.getrandbits(96):024x}@contoso.example>\r\n"
            "MIME-Version: 1.0\r\n"
            "X-MS-Has-Attach: {att}\r\n"
            "X-MS-Exchange-Organization-SCL: -1\r\n"
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n'
        ).encode()
        body = self.words.text(rng, log_uniform(rng, 2_000, 100_000), wrap=b"\r\n")
        parts = [
            head.replace(b"{att}", b"yes" if n else b"no"),
            b"Subject: " + subject + b"\r\n\r\n",
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".encode(),
            body,
            b"\r\n\r\n-- \r\n" + self.people[sender].encode() + b"\r\nContoso Ltd.\r\n" + self.disclaimer + b"\r\n",
        ]
        for _ in range(n):
            name, ctype, b64 = self.attachment(zipf_index(rng, self.attachments))
            parts.append(
                f'--{boundary}\r\nContent-Type: {ctype}; name="{name}"\r\nContent-Disposition: attachment; filename="{name}"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n".encode()
            )
            parts.append(b64.replace(b"\n", b"\r\n"))
        parts.append(f"--{boundary}--\r\n".encode())
        return b"".join(parts)

    def document(self, key, size):
        """An office-like XML document, the same bytes for the same key and size."""
        rng = random.Random(f"{self.seed}/doc/{key}")
        head = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>\r\n'
        )
        return head + self.words.text(rng, size, line=30, wrap=b'</w:t></w:r></w:p>\r\n<w:p><w:r><w:t xml:space="preserve">')

    def edit(self, rng, data):
        """A near-duplicate: a few bytes changed here and there and one paragraph inserted."""
        data = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(data))
            data[at : at + 8] = b"%08x" % rng.getrandbits(32)
        at = rng.randrange(len(data))
        data[at:at] = self.words.text(rng, rng.randint(200, 5000))
        return bytes(data)

    # ---- the data set ----
    def run(self):
        rng = random.Random(f"{self.seed}/layout")
        mail_budget = self.size * MAIL_SHARE / self.users
        doc_budget = self.size * DOC_SHARE / self.users
        media_budget = self.size * (1 - MAIL_SHARE - DOC_SHARE) / self.users
        folders = ["Inbox", "Inbox", "Inbox", "Sent Items", "Archive"]
        docs = []  # (user, key, size) of unique documents so far, for near-duplicates
        photos = []  # (key, size) for copies
        for user in range(self.users):
            box = f"mailbox-u{user:04d}"
            done, i = 0, 0
            while done < mail_budget:
                n = (1 if rng.random() < 0.30 else 0) + (1 if rng.random() < 0.05 else 0)
                mrng = random.Random(f"{self.seed}/mail/{user}/{i}")
                data = self.mail(mrng, user, n)
                self.write(f"{box}/{rng.choice(folders)}/{i:06d}.eml", data)
                done += len(data)
                i += 1
            drive = f"onedrive-u{user:04d}"
            done, i = 0, 0
            while done < doc_budget:
                roll = rng.random()
                if roll < 0.15:  # a shared document many users have
                    j = zipf_index(rng, self.shared_docs)
                    key, size = f"shared/{j}", log_uniform(random.Random(f"{self.seed}/shared/{j}"), 100_000, 20_000_000)
                    data = self.document(key, size)
                    name = f"Shared {j:04d} ({i}).docx.xml"
                elif roll < 0.30 and docs:  # an edited copy of an earlier document
                    owner, key, size = docs[rng.randrange(len(docs))]
                    data = self.edit(random.Random(f"{self.seed}/edit/{user}/{i}"), self.document(key, size))
                    name = f"Copy of {key.replace('/', '-')} v{i}.docx.xml"
                else:
                    size = min(log_uniform(rng, 100_000, 20_000_000), max(100_000, int(doc_budget - done)))
                    key = f"{user}/{i}"
                    data = self.document(key, size)
                    docs.append((user, key, size))
                    name = f"Document {i:05d}.docx.xml"
                self.write(f"{drive}/Documents/{name}", data)
                done += len(data)
                i += 1
            done, i = 0, 0
            while done < media_budget:
                if photos and rng.random() < 0.10:
                    key, size = photos[rng.randrange(len(photos))]
                else:
                    size = min(log_uniform(rng, 200_000, 12_000_000), max(200_000, int(media_budget - done)))
                    key = f"{user}/{i}"
                    photos.append((key, size))
                prng = random.Random(f"{self.seed}/photo/{key}")
                data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x00\x00" + prng.randbytes(size) + b"\xff\xd9"
                self.write(f"{drive}/Pictures/IMG_{i:05d}.jpg", data)
                done += len(data)
                i += 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("size_gb", type=float, help="size in GB (10^9 bytes); fractions allowed")
    p.add_argument("out", help="folder to write (must not exist)")
    p.add_argument("--seed", type=int, default=365)
    args = p.parse_args()
    if os.path.exists(args.out):
        sys.exit(f"{args.out} exists; remove it first")
    tmp = args.out + ".partial"
    if os.path.exists(tmp):
        import shutil

        shutil.rmtree(tmp)
    gen = Generator(int(args.size_gb * 1e9), tmp, args.seed)
    gen.run()
    os.rename(tmp, args.out)
    took = time.monotonic() - gen.started
    print(f"{args.out}: {gen.files} files, {gen.written} bytes, {gen.users} users, {took:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
