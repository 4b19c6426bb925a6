"""Write data/pii/passages.jsonl: on-theme survey answers with every piece of PII annotated.

Each line: {"id", "text", "pii": [{"start", "end", "kind"}], "keep": [{"start", "end", "kind"}]}.
`pii` kinds: name, email, phone, id (SSN-like and record numbers), address, birth_date, url;
`keep`: organisations and places, which de-identification must leave as they are.

The passages are written for this set (templates and names by hand, combined with a fixed seed);
the names are not taken from the name lists that de-identification uses. Re-run to rebuild:

    .venv/bin/python data/pii/make_pii_set.py
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent / "passages.jsonl"
SIZE = 340

# Full names from many cultures, as respondents write them (first name first unless noted).
NAMES = [
    "Maria Gonzalez", "Siobhán Ní Bhriain", "Nguyen Thi Minh Khai", "Jennifer Lopez-Ortiz", "Bob Smith",
    "Priya Raman", "Oluwaseun Adeyemi", "Aisha Mohammed", "Wei Zhang", "Hiroshi Tanaka", "Fatima Khan",
    "José Luis Hernández", "Kwame Mensah", "Olga Petrova", "Dmitri Ivanov", "Sean O'Brien", "Mary-Kate Murphy",
    "Rahul Sharma", "Ananya Iyer", "Carlos Ramírez", "Lucía Fernández", "Thomas Müller", "Anna Kowalski",
    "Mohammed Al-Farsi", "Leila Haddad", "Yusuf Demir", "Ayşe Yılmaz", "Chinedu Okafor", "Ngozi Eze",
    "Tran Van Duc", "Le Thi Hoa", "Kim Min-jun", "Park Ji-woo", "Sakura Yamamoto", "Kenji Watanabe",
    "Juan Carlos de la Cruz", "Ana Beatriz Souza", "João Pereira", "François Dubois", "Amélie Laurent",
    "Giulia Rossi", "Marco Bianchi", "Ingrid Johansson", "Lars Nilsson", "Aroha Ngata", "Tamar Cohen",
    "David Levy", "Samuel Osei", "Grace Wanjiru", "Peter Kamau", "Amina Yusuf", "Ibrahim Musa",
    "Linda Nguyen", "Kevin O'Connor", "Rosa Martinez", "Luis Torres", "Patricia Johnson", "James Williams",
    "Michael Brown", "Jessica Davis", "Ashley Miller", "Daniel Wilson", "Sarah Moore", "Christopher Taylor",
    "Emily Anderson", "Matthew Thomas", "Jasmine Jackson", "DeShawn Harris", "Latoya Robinson", "Tyrone Lewis",
    "Keisha Walker", "Andre Young", "Imani King", "Marcus Wright", "Ebony Scott", "Hannah Green",
    "Rebecca Adams", "Benjamin Baker", "Samantha Nelson", "Jonathan Carter", "Nicole Mitchell",
    "Elizabeth Perez", "Anthony Roberts", "Stephanie Turner", "Brandon Phillips", "Melissa Campbell",
    "Ricardo Flores", "Guadalupe Rivera", "Alejandra Gomez", "Jorge Diaz", "Veronica Cruz", "Diego Morales",
    "Sofia Reyes", "Gabriel Ortiz", "Valentina Castillo", "Javier Ruiz", "Mei Lin", "Jun Chen", "Li Na",
    "Arjun Patel", "Deepa Nair", "Sunil Gupta", "Kavita Reddy", "Vikram Singh", "Meera Krishnan",
    "Omar Abdullah", "Noor Hassan", "Khalid Rahman", "Zainab Ali", "Bilal Qureshi", "Sana Siddiqui",
    "Erik Larsen", "Astrid Berg", "Jan de Vries", "Sanne Jansen", "Pieter van Dijk", "Katarzyna Nowak",
    "Tomasz Wiśniewski", "Elena Popescu", "Andrei Ionescu", "Nikos Papadopoulos", "Eleni Georgiou",
    "Mehmet Kaya", "Emine Şahin", "Aaliyah Brooks", "Jamal Washington", "Tanisha Coleman", "Darnell Hayes",
    "Ciara Byrne", "Aoife Kelly", "Niamh Walsh", "Eoin Doyle", "Dylan Thomas", "Bronwyn Hughes",
    "Hemi Walker", "Mere Tipene", "Kalani Akana", "Leilani Kahale", "Chayton Begay", "Winona Yazzie",
    "Sipho Dlamini", "Thandiwe Nkosi", "Abebe Bekele", "Tigist Haile", "Moshe Friedman", "Rivka Katz",
]
FIRST_ONLY = ["Maria", "Priya", "Jamal", "Siobhan", "Oluwaseun", "Wei", "Fatima", "Kwame", "Guadalupe", "Rahul",
              "Ngozi", "Keisha", "Dmitri", "Leilani", "Aoife", "Marcus", "Ananya", "Yusuf", "Tamar", "Diego"]
HONORIFICS = ["Dr.", "Ms.", "Mr.", "Pastor", "Sister"]

ORGS = ["Henry Ford Health System", "Kaiser Permanente", "Mayo Clinic", "Johns Hopkins", "Catholic Charities",
        "United Way", "Feeding America", "the Robert Wood Johnson Foundation", "St. Mary's Hospital",
        "the YMCA", "Meals on Wheels", "the Salvation Army", "Boys & Girls Club", "Habitat for Humanity",
        "the county health department", "Legal Aid Society", "Second Harvest Food Bank",
        "Community Health Center of Denver", "Blue Cross Blue Shield", "the Area Agency on Aging"]
PLACES = ["Minnesota", "Ohio", "Los Angeles County", "Cleveland", "Denver", "New York", "Colorado",
          "Pennsylvania", "the Bronx", "South Side of Chicago", "rural Texas", "Albuquerque", "Detroit",
          "Puerto Rico", "Fresno", "Atlanta"]

# Phone numbers as people write them; kept only if valid where they claim to be from.
PHONES = ["(555) 201-3344", "555-201-3344", "555.867.5309", "+1 312 555 0182", "(212)5551234", "2125551234",
          "1-800-555-0199", "+44 20 7946 0958", "07700 900123", "+44 7700 900456", "+91 98765 43210",
          "098765 43210", "+52 55 1234 5678", "+1-416-555-0199", "+61 2 9374 4000", "+353 1 234 5678",
          "+49 30 1234567", "+33 1 42 68 53 00", "+234 803 123 4567", "+254 712 345678", "+63 917 123 4567",
          "(415) 555-0132 ext. 4", "617.555.0147", "+55 11 91234 5678", "303-555-0110", "(720) 555-0175"]
EMAILS = ["maria.gonzalez@gmail.com", "j.doe at gmail dot co dot uk", "maria.gonzalez@gmail",
          "pramana [at] clinic [dot] org", "kwame.m@healthpartners.org", "INFO.LOPEZ@YAHOO.COM",
          "bob_smith42@hotmail.com", "s.obrien(at)familycenter(dot)org", "wei.zhang at uw dot edu",
          "aisha.m@outlook", "l.nguyen@coalition.net", "tanaka.h@jhu.edu", "fatima_khan@icloud.com",
          "jlopez at foodbank dot org", "oadeyemi@gmail"]
# (cue, value): only the value is PII; the cue ("MRN", "born") stays.
IDS = [("", "123-45-6799"), ("", "078 05 1120"), ("MRN ", "00123456"), ("medical record number ", "4471983"),
       ("member ID ", "W123456789"), ("case number ", "2023-004512"), ("Medicaid ID ", "98765432A"),
       ("patient ID: ", "P-448812"), ("client ID ", "77-31-902"), ("SSN ", "219-09-9999"),
       ("account number ", "0045512378"), ("record # ", "55-1209"), ("ssn: ", "512 44 9087")]
ADDRESSES = ["1234 Elm Street", "55 W. Lake St., Apt 4B, Chicago, IL 60601", "PO Box 1123",
             "800 Martin Luther King Jr Blvd", "17 Oak Avenue, Fresno, CA 93721", "4410 N Broadway Ave",
             "210 Maple Rd, Suite 200", "9 Cherry Lane", "P.O. Box 88", "3300 Highland Drive, Unit 12",
             "62 Riverside Pkwy, Denver, CO 80202", "1500 Pennsylvania Avenue"]
BIRTHS = [("born ", "03/14/1972"), ("DOB: ", "1972-03-14"), ("date of birth is ", "March 3, 1958"),
          ("born on ", "12 June 1990"), ("D.O.B. ", "7/4/1961"), ("birthday: ", "January 22, 1949"),
          ("born ", "11-02-1985")]
URLS = ["bit.ly/3xYzQ", "tinyurl.com/rfi-form", "www.mariasfoodpantry.org", "https://example.org/survey?id=42",
        "facebook.com/jane.doe.77", "gofundme.com/f/help-the-lopez-family", "linktr.ee/bobsmith",
        "instagram.com/priya_raman"]

# On-theme frames; {X} slots take a value of the kind named.
FRAMES = [
    ("name", "Trust grew because {X} at the hospital kept showing up to our meetings every month."),
    ("name", "When {X} left the health plan we basically had to start over with a new contact."),
    ("name", "Our champion was {X}, who pushed the data-sharing agreement through legal."),
    ("name", "{X} from the clinic and our case managers meet weekly to review referrals."),
    ("name", "Honestly the partnership works because {X} answers the phone when families are in crisis."),
    ("name", "Funding ended in 2021 and {X} had to cut the navigator position to half time."),
    ("name", "We learned to share client-level data only after {X} walked us through HIPAA."),
    ("name", "The advisory board, chaired by {X}, reviews our dashboard every quarter."),
    ("name", "Cultural differences were real: {X} spoke in billing codes and we spoke about families."),
    ("name", "I want to thank {X} for building the referral loop between our food pantry and the ED."),
    ("name", "my name is {X} and I coordinate the housing program with the health system."),
    ("name", "please follow up with {X}, our data lead, about the shared database."),
    ("email", "Send the MOU questions to {X} and we will answer within a week."),
    ("email", "Our evaluator can share the outcome report, write to {X}."),
    ("email", "For the data-sharing agreement contact {X} before the end of the grant year."),
    ("email", "Anyone who wants our community survey can email {X}."),
    ("phone", "Families can call {X} to reach a community health worker."),
    ("phone", "The referral line at {X} is staffed by two promotoras."),
    ("phone", "If the portal is down we text the nurse at {X} instead."),
    ("phone", "Our intake number, {X}, is printed on every flyer at the clinic."),
    ("id", "The form asked for the client's SSN, {X}, which scared families away."),
    ("id", "We matched records by hand, e.g. {X}, because the systems do not talk to each other."),
    ("id", "One patient, {X}, was referred three times because nobody saw the first referral."),
    ("id", "Staff pasted {X} into an email, which is exactly why we need a secure portal."),
    ("address", "The pantry moved to {X} so it sits next to the clinic."),
    ("address", "Community meetings happen at {X} on the second Tuesday."),
    ("address", "Mail the signed data-sharing agreement to {X}."),
    ("address", "Our mobile unit parks at {X} every Friday."),
    ("birth_date", "The intake sheet listed the client as {X}, and the hospital used another date."),
    ("birth_date", "Matching failed because one system had her {X} and the other had nothing."),
    ("birth_date", "We verify eligibility with name and {X}, which many families hesitate to give."),
    ("url", "We post results back to the community at {X}."),
    ("url", "Sign-ups for the advisory board go through {X}."),
    ("url", "The dashboard lives at {X} and partners check it monthly."),
]
# Sentences with no PII but organisations and places that must stay.
KEEP_FRAMES = [
    "We partner with {ORG} in {PLACE} on housing and food.",
    "{ORG} funds part of the work, but grants from {ORG2} end next year.",
    "Sharing data with {ORG} was slow because every partner in {PLACE} uses a different system.",
    "Relationships with {ORG} took years to build; trust is what keeps it going in {PLACE}.",
    "Our coalition in {PLACE} includes {ORG} and {ORG2}.",
    "Since 2019 we served 1,200 families in {PLACE}, up 35% after {ORG} joined.",
]
CONTEXT = [
    "Reimbursement does not cover our full costs.", "We braid three funding streams to keep going.",
    "The MOU took eighteen months.", "Turnover is killing us.", "Community members sit on the advisory board.",
    "We still fax referrals in 2024.", "Grant H79-SM-08-1234 ended on 6/30/2020.", "The line is staffed 24/7.",
    "Families call 211 for referrals.", "We received $250,000 over three years.", "",
]


def styled(name: str, rng: random.Random) -> str:
    """A name as respondents type it: usually as is, sometimes lower or upper case, with an honorific."""
    roll = rng.random()
    if roll < 0.2:
        return name.lower()
    if roll < 0.38:
        return name.upper()
    if roll < 0.48:
        return f"{rng.choice(HONORIFICS)} {name.split()[-1]}"
    if roll < 0.6:
        return rng.choice(FIRST_ONLY)
    return name


def valid_phone(phone: str) -> bool:
    import phonenumbers

    region = "US" if not phone.startswith("+") else None
    if phone.startswith("0"):
        region = "GB" if phone.startswith("07") else "IN"
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(re.sub(r" ext\. \d+", "", phone), region)) or \
            region == "US"
    except phonenumbers.NumberParseException:
        return False


def value(kind: str, rng: random.Random) -> tuple[str, str]:
    """(cue, value) for a slot of this kind."""
    if kind in ("id", "birth_date"):
        return rng.choice(IDS if kind == "id" else BIRTHS)
    return "", {"name": lambda: styled(rng.choice(NAMES), rng), "email": lambda: rng.choice(EMAILS),
                "phone": lambda: rng.choice([p for p in PHONES if valid_phone(p)]),
                "address": lambda: rng.choice(ADDRESSES), "url": lambda: rng.choice(URLS)}[kind]()


def passage(rng: random.Random, number: int) -> dict:
    parts: list[tuple[str, str | None]] = []  # (text, kind of PII or "keep:..." or None)
    kinds = rng.sample([f for f in FRAMES], k=rng.choice([1, 1, 2, 2, 3]))
    if rng.random() < 0.5:
        frame = rng.choice(KEEP_FRAMES)
        orgs = rng.sample(ORGS, 2)
        for piece in re.split(r"(\{ORG\}|\{ORG2\}|\{PLACE\})", frame):
            if piece == "{ORG}":
                parts.append((orgs[0], "keep:org"))
            elif piece == "{ORG2}":
                parts.append((orgs[1], "keep:org"))
            elif piece == "{PLACE}":
                parts.append((rng.choice(PLACES), "keep:place"))
            elif piece:
                parts.append((piece, None))
        parts.append((" ", None))
    for kind, frame in kinds:
        before, after = frame.split("{X}")
        cue, piece = value(kind, rng)
        parts += [(before + cue, None), (piece, kind), (after, None), (" ", None)]
    extra = rng.choice(CONTEXT)
    if extra:
        parts.append((extra, None))
    text, pii, keep = "", [], []
    for piece, kind in parts:
        if piece and (not text.strip() or text.endswith(". ")) and piece[0].islower() and kind is None:
            piece = piece[0].upper() + piece[1:]
        start = len(text)
        text += piece
        if kind and kind.startswith("keep:"):
            keep.append({"start": start, "end": len(text), "kind": kind[5:]})
        elif kind:
            pii.append({"start": start, "end": len(text), "kind": kind})
    return {"id": f"p{number:03d}", "text": text.strip(), "pii": pii, "keep": keep}


def main() -> None:
    rng = random.Random(13)
    rows = [passage(rng, n) for n in range(1, SIZE + 1)]
    OUT.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    counts: dict[str, int] = {}
    for row in rows:
        for span in row["pii"] + row["keep"]:
            counts[span["kind"]] = counts.get(span["kind"], 0) + 1
    print(f"{len(rows)} passages; spans: {counts}")


if __name__ == "__main__":
    main()
