import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from themes.errors import ThemesError
from themes.redact import Redactor, redact_patterns


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(use_ner=True)


# (id, text, expected, handled by patterns alone)
PII = [
    ("email", "Email jane.doe@example.org for the MOU.", "Email [email] for the MOU.", True),
    ("email-plus", "Send it to j.oneil+rfi@health-partners.org.", "Send it to [email].", True),
    ("email-brackets", "Write to jane [at] example [dot] org.", "Write to [email].", True),
    ("email-spelled", "Write to jdoe at clinic dot org today.", "Write to [email] today.", True),
    ("emails-collapse", "Email jane@example.org jdoe@example.org with questions.", "Email [email] with questions.", True),
    ("url-https", "Our dashboard is at https://example.org/dash?id=3.", "Our dashboard is at [url].", True),
    ("url-www", "See www.foodbank.org for hours.", "See [url] for hours.", True),
    ("url-bare", "Details are on example.org/partners, updated monthly.", "Details are on [url], updated monthly.", True),
    ("url-gov", "Families apply through Healthcare.gov each fall.", "Families apply through [url] each fall.", True),
    ("phone-parens", "Call (555) 201-3344 to refer a family.", "Call [phone] to refer a family.", True),
    ("phone-dashes", "The intake line is 555-201-3344.", "The intake line is [phone].", True),
    ("phone-dots", "Text 555.201.3344 for rides.", "Text [phone] for rides.", True),
    ("phone-plus1", "Reach us on +1 555 201 3344 any weekday.", "Reach us on [phone] any weekday.", True),
    ("phone-ext", "Call 555-201-3344 ext. 12 after noon.", "Call [phone] after noon.", True),
    ("phone-tollfree", "Our hotline, 1-800-555-1234, is free.", "Our hotline, [phone], is free.", True),
    ("phone-bare", "My cell is 5552013344.", "My cell is [phone].", True),
    ("phone-local-cued", "Phone: 201-3344.", "Phone: [phone].", True),
    ("name-commas", "Our coordinator, Maria Lopez, meets weekly with the hospital.",
     "Our coordinator, [name], meets weekly with the hospital.", False),
    ("name-dr-phone", "Reach Dr. Alvarez at 555-201-3344.", "Reach [name] at [phone].", True),
    ("first-names", "Thanks to John and Priya at the clinic", "Thanks to [name] and [name] at the clinic", False),
    ("name-sentence-start", "Mike handles intake; Juanita runs the food pantry.",
     "[name] handles intake; [name] runs the food pantry.", False),
    ("ms-full-name", "Ms. Jane Doe chairs the advisory board.", "[name] chairs the advisory board.", True),
    ("mr-no-period", "Mr Smith drives the van.", "[name] drives the van.", True),
    ("pastor", "Pastor Williams hosts the meetings at church.", "[name] hosts the meetings at church.", True),
    ("sister", "Sister Mary runs the food pantry.", "[name] runs the food pantry.", True),
    ("possessive", "Dr. Kim's clinic refers patients.", "[name]'s clinic refers patients.", True),
    ("contact", "Contact Jane Doe for details.", "Contact [name] for details.", True),
    ("my-name-is", "My name is Ana Ruiz and I direct the coalition.", "My name is [name] and I direct the coalition.", True),
    ("ask-for", "Please ask for Maria at the front desk.", "Please ask for [name] at the front desk.", True),
    ("signature", "We need stable funding.\nSincerely,\nTom Jones", "We need stable funding.\nSincerely,\n[name]", True),
    # QA round 3: units and non-US addresses, half-removed spelled e-mails, handles, cued names in lower case
    ("address-suite", "Members meet at 500 Main St Suite 210 every month.", "Members meet at [address] every month.",
     True),
    ("address-apt", "The board meets at 210 Maple Ave Apt 3 and reviews results.",
     "The board meets at [address] and reviews results.", True),
    ("address-ste-city", "Mail 500 W Main St Ste 210, Louisville, KY 40202 today.", "Mail [address] today.", True),
    ("address-rue", "We listen at 77 Rue Saint-Denis, Montreal, where the board meets.",
     "We listen at [address], where the board meets.", True),
    ("address-uk", "Flat 4, 22 Baker Street, London NW1 6XE.", "[address].", True),
    ("email-spelled-local", "Write to maria dot gonzalez at gmail dot com.", "Write to [email].", True),
    ("email-cued-at", "Data sharing is slow; email jdoe at clinic.org", "Data sharing is slow; email [email]", True),
    ("handle", "Follow @maria_gonzalez_chw on Instagram.", "Follow [name] on Instagram.", True),
    # Review 168: a name set apart by a person's role, its words English words ("Two Feathers") or a given name
    ("role-apposition", "It works because Kateri Two Feathers, our CHW lead, and the clinic talk every day.",
     "It works because [name], our CHW lead, and the clinic talk every day.", False),
    ("role-apposition-listed", "Maria, our navigator, runs intake; Hodan, the interpreter, joined.",
     "[name], our navigator, runs intake; [name], the interpreter, joined.", False),
    # Review 149: a chat name without its "@" kept its family name ("Contact [name].ramirez (Teams)")
    ("handle-dotted", "Contact jose.ramirez (Teams) for data.", "Contact [name] (Teams) for data.", True),
    ("handle-initial", "Our lead, j.smith, handles it; maria_gonzalez2 backs up.",
     "Our lead, [name], handles it; [name] backs up.", True),
    # Review 152: a sign-off by a dash and a writer's introduction kept the name
    ("signoff-dash", "Hard to hire. - Maria", "Hard to hire. - [name]", True),
    ("signoff-dash-line", "Trust matters.\n-Ruby", "Trust matters.\n-[name]", True),
    ("signoff-dash-not-a-name", "Three goals - Housing. It took years (a decade) - Trust. Thanks. - The Team",
     "Three goals - Housing. It took years (a decade) - Trust. Thanks. - The Team", True),
    ("introduced", "I'm Amber, program lead. This is Grace from the clinic.",
     "I'm [name], program lead. This is [name] from the clinic.", True),
    ("introduced-not-a-name", "I'm Hispanic, and so are our clients. This is Medicaid, not charity.",
     "I'm Hispanic, and so are our clients. This is Medicaid, not charity.", True),
    # review 154: identities, and a dash list's last items, are no names
    ("introduced-not-an-identity", "I'm Christian, so I pray. I'm Muslim, and proud. I'm Gay, a parent too.",
     "I'm Christian, so I pray. I'm Muslim, and proud. I'm Gay, a parent too.", True),
    ("signoff-not-a-list", "Our needs:\n- Housing\n- Transportation\nPriorities:\n- Hope Street",
     "Our needs:\n- Housing\n- Transportation\nPriorities:\n- Hope Street", True),
    ("handle-not-words", "See e.g. report_final.docx; we met.then funding.trust grew in st.louis.",
     "See e.g. report_final.docx; we met.then funding.trust grew in st.louis.", True),
    # Review 153: a missing space after a full stop joins two words the lists also hold
    ("handle-not-a-missing-space", "we lost the grant.the staff left; i love my job.the people; hope.we try",
     "we lost the grant.the staff left; i love my job.the people; hope.we try", True),
    # review 154: names whose parts are words too are names still
    ("handle-of-words", "Ask john.smith or grace.park on Teams.", "Ask [name] or [name] on Teams.", True),
    ("record-prefixed", "Her member ID MCD 4471-2290-88 was lost.", "Her member ID [id] was lost.", True),
    ("talk-to-lower", "Talk to maria at the front desk.", "Talk to [name] at the front desk.", True),
    ("ask-for-lower", "Ask for jose at the clinic.", "Ask for [name] at the clinic.", True),
    ("dr-lower", "It works because dr. patel championed it.", "It works because [name] championed it.", True),
    ("after-when", "When Kenji left the hospital we started over.", "When [name] left the hospital we started over.",
     False),
    # review of 2026-11-29: possessives, given names that are words, disguised e-mails, boxes, "+" numbers
    ("possessive-unlisted", "The trust came from Priya Raghunathan's team.", "The trust came from [name]'s team.",
     False),
    ("possessive-first", "Priya's team answered every question.", "[name]'s team answered every question.", False),
    ("possessive-wordlike", "Bob's weekly calls kept us together.", "[name]'s weekly calls kept us together.",
     False),
    ("given-word-before-name", "Hope Martinez is our champion.", "[name] is our champion.", False),
    ("after-comma", "Thanks, Maria!", "Thanks, [name]!", False),
    ("said", "Maria said the data is incomplete.", "[name] said the data is incomplete.", False),
    ("dra", "Dra. López runs the clinic.", "[name] runs the clinic.", True),
    ("email-braces", "Email jane{at}example{dot}org for details.", "Email [email] for details.", True),
    ("email-angles", "jane<at>example<dot>org is the contact.", "[email] is the contact.", True),
    ("email-dot-country", "Write to priya at hospital dot in.", "Write to [email].", True),
    ("email-accents", "Write to josé.garcía@clínica.org today.", "Write to [email] today.", True),
    ("po-box-town", "P.O. Box 4471, Tulsa OK 74101 is our office.", "[address] is our office.", True),
    ("rural-route", "Mail Rural Route 2 Box 14, Harlan KY.", "Mail [address].", True),
    ("phone-plus-any", "Call +44 7700 900123 or +52 1 55 1234 5678.", "Call [phone] or [phone].", True),
    # the second review of 2026-11-29
    ("after-acronym", "Our CHW Maria visits every family after discharge.",
     "Our CHW [name] visits every family after discharge.", False),
    ("call-name", "Call Maria at the front desk.", "Call [name] at the front desk.", True),
    ("ask-full-name", "Challenges (ask Priya Raghunathan, priya.r@example.org)", "Challenges (ask [name], [email])",
     True),
    ("two-titles", "Reverend Dr. Smith built trust with the pastors.", "[name] built trust with the pastors.", True),
    ("email-colon", "Email: mlopez at healthdept.nc.gov", "Email: [email]", True),
    ("phone-spaced-cued", "Call me at 555 0134 any time; my cell 5550134.", "Call me at [phone] any time; my cell "
     "[phone].", True),
    ("record-hash", "Case #2021-00456 was closed; member #W123456789 too.",
     "Case #[id] was closed; member #[id] too.", True),
    ("everything", "For data questions contact our evaluator, Dr. Priya Raman, praman@example.org, (555) 318-7720.",
     "For data questions contact our evaluator, [name], [email], [phone].", True),
    # privacy review: disguised e-mails that passed whole or in part, and a lowercase title after a cue
    *[(f"email-disguised {address}", f"Email {address} for details.", "Email [email] for details.", True)
      for address in ["mgonzalez(at)gmail(.)com", "priya[at]healthpartners[.]org", "maria @ gmail . com",
                      "x [at] y [.] com", "x[at]y(.)com", "x -at- y -dot- org", "maria-at-clinic-dot-org",
                      "maria_at_clinic.org", "maria[@]clinic.org", "maria@ clinic.org", "maria @clinic.org",
                      "maria%40clinic.org", "maria&#64;clinic.org", "maria@clinic[.]org", "maria＠clinic.org",
                      "maria＠clinic.community", "priya [at] clinic [.] in"]],
    ("ask-for-dr-lower", "Please ask for dr. patel at the desk.", "Please ask for [name] at the desk.", True),
    ("contact-ms-lower", "Please contact ms. nguyen about it.", "Please contact [name] about it.", True),
    ("ask-for-mrs-lower", "Ask for mrs. garcia at intake.", "Ask for [name] at intake.", True),
    ("contact-title-lower-name", "Please contact Ms. nguyen about it.", "Please contact [name] about it.", True),
    ("thanks-to-two-titles", "Thanks to dr. smith and Dr. Jones.", "Thanks to [name] and [name].", True),
    # privacy review: a pronoun after "call", East Asian mobiles, rural and foreign addresses, names in other scripts
    ("phone-call-us", "For help call us 555-0143 any day.", "For help call us [phone] any day.", True),
    ("phone-call-me", "Call me 555-0143 tomorrow.", "Call me [phone] tomorrow.", True),
    ("phone-text-us-at", "Text us at 555 0143 for rides.", "Text us at [phone] for rides.", True),
    ("phone-reach-us-on", "Reach us on 5550143 weekdays.", "Reach us on [phone] weekdays.", True),
    ("phone-korea", "Call us 555-0143 or 010-1234-5678 and ask.", "Call us [phone] or [phone] and ask.", True),
    ("phone-china", "Call 138 1234 5678 or 13812345678 in Beijing.", "Call [phone] or [phone] in Beijing.", True),
    ("phone-japan", "Her mobile is 090-1234-5678.", "Her mobile is [phone].", True),
    ("phone-india-brazil", "Call 98765 43210 or (11) 91234-5678.", "Call [phone] or [phone].", True),
    ("address-route-box", "Trust was built at Route 2 Box 45, Hazard KY, where she hosted us.",
     "Trust was built at [address], where she hosted us.", True),
    ("address-concourse", "Trust grew at 1200 Grand Concourse Apt 3B in the Bronx.", "Trust grew at [address] in the "
     "Bronx.", True),
    ("address-soft-type", "We used her house, 17 Oak Hollow, for meetings.", "We used her house, [address], for "
     "meetings.", True),
    ("address-county-road", "The client at 1010 County Road 12 needed rides.", "The client at [address] needed rides.",
     True),
    # a surname removed after a title is removed where it comes again, a possessive too (it reached the evidence)
    # ... a common family name too (WordNet lists 'Smith' as a word), and a place or organisation of the name is kept
    ("common-surname-again", "Dr. Smith championed it. Smith pushed it through.",
     "[name] championed it. [name] pushed it through.", False),
    # ... but not a family name that is also a describing word, whose other uses are words (a third review)
    ("surname-that-is-a-word", "Mr. Grant retired. Grant funding ended; Ms. Black came by. Black families wait.",
     "[name] retired. Grant funding ended; [name] came by. Black families wait.", False),
    ("surname-again-place", "Dr. Garza spoke at Garza County Fair on Garza Street; Garza's team came.",
     "[name] spoke at Garza County Fair on Garza Street; [name]'s team came.", False),
    ("surname-again", "Dr. Okafor championed it from day one. Okafor pushed this through; Okafor's team stayed.",
     "[name] championed it from day one. [name] pushed this through; [name]'s team stayed.", False),
    # ... in lower case too where it owns something and is no English word; a listed name that is also a noun only as
    # written, and no lower-case word that is the name's spelling elsewhere ("sim cards", "compramos flores")
    ("surname-again-lower-case", "Ask Dr. Okonkwo about it; okonkwo's team knows. Ms. Smith called; the smith shop "
     "helped.", "Ask [name] about it; [name]'s team knows. [name] called; the smith shop helped.", False),
    ("surname-again-lower-case-word", "Dr. Sim coordinated the phones; clients needed sim cards. Sra. Flores nos "
     "ayuda. Compramos flores.", "[name] coordinated the phones; clients needed sim cards. [name] nos ayuda. "
     "Compramos flores.", False),
    # ... and beside an English word, or everywhere where its writer wrote the name in lower case (review 149: every
    # output a program officer gets kept "okafor retired last year")
    ("surname-again-lower-case-beside-english", "Our champion was Dr. Okafor; okafor retired last year.",
     "Our champion was [name]; [name] retired last year.", False),
    # review 153: not beside a Spanish word that is English too ("en"), nor a word the model took for a name
    ("surname-again-not-beside-spanish", "Sra. Flores nos ayuda. Compramos flores en el mercado; queremos paz en la "
     "comunidad, dijo la Sra. Paz.", "[name] nos ayuda. Compramos flores en el mercado; queremos paz en la "
     "comunidad, dijo la [name].", False),
    ("surname-again-not-the-models-mistake", "Since Covid, our covid response team meets weekly.",
     "Since [name], our covid response team meets weekly.", False),
    ("surname-lower-case-as-written", "Our champion was dr. okafor whose buy-in kept us going; okafor retired.",
     "Our champion was [name] whose buy-in kept us going; [name] retired.", False),
    # ... but not in capitals (an acronym), nor naming an organisation in lower case; before a lower-case noun as
    # written ("Mensah health fairs": a second review found the first version kept it)
    ("surname-again-not-an-acronym", "Dr. Okonkwo leads; the OKONKWO fund and the okonkwo family clinic pay.",
     "[name] leads; the OKONKWO fund and the okonkwo family clinic pay.", False),
    ("surname-again-before-a-noun", "Dr. Mensah led intake. Mensah health fairs drew 300; Osei's court date moved "
     "after Dr. Osei presented.", "[name] led intake. [name] health fairs drew 300; [name]'s court date moved after "
     "[name] presented.", False),
    # a given name heading a list of names, at a sentence's start (the lists alone leave it there)
    ("name-heading-a-list", "Maria, Ana and Luz run the pantry.", "[name], [name] and [name] run the pantry.", False),
    # a year-shaped house number ("the 2023 Heart Walk" is an event) and a soft type before more words, after "at"
    ("address-year-shaped-number", "We meet at 1901 Oak Hollow.", "We meet at [address].", True),
    ("address-soft-type-goes-on", "We meet at 1901 Oak Hollow every week.", "We meet at [address] every week.", True),
    # a house number before any words, after "at", "on" or "near" (a third review: the second version kept these)
    ("address-soft-type-then-words", "The clinic at 88 Cedar Crossing closed; I live on 1901 Oak Hollow and "
     "visit 22 Willow Bend today.", "The clinic at [address] closed; I live on [address] and visit [address] "
     "today.", True),
    ("address-cr-lot", "Find us at CR 12, Lot 4 or 1010 CR 12, Lot 5 past the church.",
     "Find us at [address] or [address] past the church.", True),
    ("address-grid-number", "Mail to N1234 State Hwy 13 please.", "Mail to [address] please.", True),
    ("address-rue-lower", "Meet at 12 rue de la Paix.", "Meet at [address].", True),
    ("address-town-zip", "Meetings are at the blue house, 77 Maple, Ames IA 50010.",
     "Meetings are at the blue house, [address].", True),
    ("names-cyrillic-han", "Trust with Ярослав Шевченко and 王伟 at the hospital.",
     "Trust with [name] and [name] at the hospital.", True),
    ("names-arabic-hangul", "Trust grew after محمد علي and 김민준 joined the board.",
     "Trust grew after [name] and [name] joined the board.", True),
    ("names-one-word-after-cue", "Thanks to Ярослав; ask for محمد at the desk.", "Thanks to [name]; ask for [name] "
     "at the desk.", True),
    ("names-russian-passage", "Мы работаем с Иваном Петровым.", "Мы работаем с [name].", True),
]

# The sample survey's columns that are facts about the respondent, not answers.
SAMPLE_FACTS = ["respondent_id", "org_type", "state", "year_started", "people_served", "initiated_by", "agreements",
                "funding_sources"]

UNCHANGED = [
    ("henry-ford", "We partner with Henry Ford Health System on housing."),
    ("kaiser", "Kaiser Permanente funds our food pantry."),
    ("st-marys", "St. Mary's Hospital refers patients to us."),
    ("hopkins-mayo", "Johns Hopkins and Mayo Clinic share data with us."),
    ("foundations", "The Ford Foundation and the Robert Wood Johnson Foundation fund the coalition."),
    ("rwjf-start", "Robert Wood Johnson Foundation funding ended in 2019."),
    ("ascension", "Ascension St. John Hospital is a partner."),
    ("programs", "Healthy Start and Head Start refer families; the Ryan White program pays for HIV care."),
    ("waiver", "The Medicaid 1115 waiver pays for navigators."),
    ("years", "The pilot ran 2017-2019."),
    ("money", "We received $250,000 over three years."),
    ("counts", "1,200 families were served, up 35%."),
    ("24-7", "The line is staffed 24/7."),
    ("211", "Families call 211 for referrals."),
    ("zip", "Our ZIP code 55401 has the highest need."),
    ("grant-date-time", "Grant H79-SM-08-1234 ended on 6/30/2020 at 5:00 pm."),
    ("time-range", "Meetings run 9:00-10:30 on the 2nd Tuesday."),
    ("state", "Most partners are in Minnesota."),
    ("county", "Los Angeles County funds the outreach."),
    ("cities", "Our partners in Austin, Jackson and Madison meet monthly."),
    ("chws", "Community Health Workers visit families at home."),
    ("sentence-start", "Funding is our biggest challenge. Trust takes years to build."),
    ("verb-start", "Enroll eligible people in Medicaid, SNAP, WIC and other benefits."),
    ("acronyms", "Sharing data with the FQHC was hard because of HIPAA."),
    ("program-title", "Seniors join Tai Chi for Arthritis classes."),
    ("lowercase", "we meet at the library every month and share results."),
    ("cue-not-a-name", "Ask for help, talk to the staff, thanks to grants; sister organizations too."),
    ("street-then-place", "We serve 500 families on Main St every week; 2 Main St Clinic sites opened."),
    ("word-after-when", "When Grace Church opened, volunteers came."),
    # common nouns and acronyms the small model calls PERSON (QA round 3)
    ("ner-noun", "Attendance went from 4 people to 30 in a year."),
    ("ner-acronym-noun", "Mostly HUD Continuum of Care funds."),
    ("possessive-words", "Let's meet. It's hard. The County's budget and Grant's funding help; June's meeting too."),
    ("plus-numbers", "We grew +25% and served + 1,200 families; revenue of +12 345 678."),
    ("lowercase-word-pairs", "Everyone acted in good faith. The nurses said no. Every visit we bill loses money."),
    ("organisations-after-cues", "Thanks to Harris County and Mercy Health's support; we miss Grace Church's help."),
    ("saint-and-org-names", "St. Vincent's runs the clinic. Mercy said yes to the plan."),
    ("verbs-before-nouns", "We keep a shared email list and a text line; call volunteers; ask questions."),
    # "at", "dot" and "@" in prose: no brackets or dashes around them, or no address shape on both sides
    ("at-dot-in-prose", "Our hospital-at-home pilot serves at-risk youth; lunch is @ noon. Us too, at the dot."),
    ("ask-for-title-not-a-name", "Ask for dr. approval first; we treat ms patients."),
    # numbers, roads and words in other scripts that the phone, address and name rules of the privacy review leave
    ("counts-not-phones", "We hope to reach 500-1000 families; call us Monday, 9-5; cohorts of 5 10 15 20 25 30."),
    ("roads-and-years", "In 2019 Route 9 closed; since 2015 State Highway 13 floods; 12 counties lie on Route 66."),
    ("soft-street-types", "We ran 5 Heart Walk events, 40 Oak Hollow families came, and 12 met via Zoom."),
    ("soft-street-type-events", "At the 2023 Heart Walk we met on 3 Fun Run days."),
    ("soft-street-type-names-a-thing", "We raised funds at 2019 Annual Fun Run events; data on 2022 Closed Loop "
     "referrals; our focus on 2025 Strategic Path."),
    ("soft-street-type-year", "In 1901 Oak Hollow was a town."),
    ("word-heading-a-list", "Trust, time and money matter; Hope, faith and grit too."),
    ("town-without-zip", "We serve 3 Counties, Des Moines IA."),
    ("years-then-count", "The pilot ran 2017-2019 24 times; the line ran 2017-2019 24/7."),  # not 201-720-1924
    ("script-words", "We translate flyers into 中文, 한국어 and Spanish; staff say السلام عليكم during رمضان."),
    ("script-sentence", "The sign read هذا هو المكان الصحيح in the lobby."),  # a sentence, not a name
    ("spreadsheet-function", "@SUM(A1:A9) of what we need is more staff; =@INDEX(B:B, 2) too."),  # review 168
    # a role's apposition after a word, an organisation or a place is no name (review 168's rule)
    ("role-apposition-after-a-word", "However, our director agreed."),
    ("role-apposition-org", "Mercy Health, our hospital partner, agreed. Medicaid, our payer, is slow."),
    ("role-apposition-place", "In Ohio, our nurse visits homes."),
    ("role-apposition-adjective", "Then, our CHW lead quit."),
    ("empty", ""),
]


@pytest.mark.parametrize("text, expected", [(t, e) for _, t, e, _ in PII], ids=[i for i, *_ in PII])
def test_redacts_pii(redactor, text, expected):
    assert redactor.redact(text) == expected


@pytest.mark.parametrize(
    "text, expected", [(t, e) for _, t, e, p in PII if p], ids=[i for i, *_, p in PII if p]
)
def test_patterns_alone_redact_pii(text, expected):
    assert redact_patterns(text) == expected
    assert Redactor(use_ner=False).redact(text) == expected


@pytest.mark.parametrize("text", [t for _, t in UNCHANGED], ids=[i for i, _ in UNCHANGED])
def test_leaves_text_unchanged(redactor, text):
    assert redactor.redact(text) == text
    assert redact_patterns(text) == text


def test_only_sample_answers_with_an_address_get_an_email_placeholder():
    """The sample survey's 5,000 answers write "at", "dot" and "hospital-at-home" as prose; the disguised forms
    the patterns read must not turn any of them into an address."""
    sample = Path(__file__).resolve().parents[1] / "data" / "sample_rfi"
    answers = pd.read_csv(sample / "responses.csv", dtype=str).drop(columns=SAMPLE_FACTS)
    texts = set(pd.read_csv(sample / "gold.csv", dtype=str)["text"].dropna()) | set(answers.stack().dropna())
    with_placeholder = {t for t in texts if "[email]" in redact_patterns(t, listed_names=False)}
    assert with_placeholder == {t for t in texts if "@" in t}


def test_redact_many_matches_redact(redactor):
    texts = [t for _, t, *_ in PII] + [t for _, t in UNCHANGED]
    assert redactor.redact_many(texts) == [redactor.redact(t) for t in texts]
    assert redactor.redact_many([]) == []


def test_redacting_twice_changes_nothing(redactor):
    once = redactor.redact_many([t for _, t, *_ in PII])
    assert redactor.redact_many(once) == once


def test_bad_use_ner_names_the_allowed_values():
    with pytest.raises(ValueError, match=r"^The 'use_ner' must be one of True, False, 'auto'\. Got 'yes' instead\.$"):
        Redactor(use_ner="yes")


def test_missing_model_falls_back_to_patterns_or_says_how_to_fix():
    auto = Redactor(model="no_such_model_xyz")
    assert not auto.ner_available
    assert auto.redact("Reach Dr. Alvarez at 555-201-3344.") == "Reach [name] at [phone]."
    with pytest.raises(ThemesError, match=r"'no_such_model_xyz' is not installed.*use_ner=False"):
        Redactor(use_ner=True, model="no_such_model_xyz")


# Properties: text built from survey-like fragments with e-mails and phone numbers mixed in.
FRAGMENTS = [
    "We meet monthly.", "Dr. Alvarez", "2017-2019", "$250,000", "1,200 families", "24/7", "call 211",
    "Henry Ford Health System", "Medicaid 1115 waiver", "ZIP 55401", "H79-SM-08-1234", "example.org/path",
    "Contact", "at", "or", "(", ")", "ext.", "[name]", "[phone]",
]
_AREA = st.from_regex(r"\A[2-9][0-9]{2}\Z")
_LINE = st.from_regex(r"\A[0-9]{4}\Z")
PHONES = st.builds(
    lambda shape, a, b, c: shape.format(a, b, c),
    st.sampled_from(["({}) {}-{}", "{}-{}-{}", "{}.{}.{}", "+1 {} {} {}", "{}-{}-{} ext. 7", "1-{}-{}-{}", "{}{}{}"]),
    _AREA, _AREA, _LINE,
)
PARTS = st.lists(st.one_of(st.sampled_from(FRAGMENTS), PHONES, st.emails()), max_size=12)
SEPARATORS = st.sampled_from([" ", ", ", ". ", "\n", " - "])


@st.composite
def survey_texts(draw) -> tuple[str, list[str]]:
    """A text and the 10-digit numbers of the phones in it."""
    parts = draw(PARTS)
    text = "".join(p + draw(SEPARATORS) for p in parts)
    phones = [re.sub(r"\D", "", p)[-10:] for p in parts if p not in FRAGMENTS and "@" not in p]
    return text, phones


def _leaks(out: str, phones: list[str]) -> list[str]:
    digits = re.sub(r"\D", "", out)
    return ["@"] * ("@" in out) + [p for p in phones if p in digits]


# No deadline: the first example loads the name lists (about a second), which would fail the test run alone.
@settings(max_examples=300, deadline=None)
@given(survey_texts())
def test_patterns_never_leak_emails_or_phones(case):
    text, phones = case
    assert _leaks(redact_patterns(text), phones) == []


@settings(max_examples=300, deadline=None)
@given(st.one_of(survey_texts().map(lambda case: case[0]), st.text(alphabet="aZ .,@-()[]\n0123456789xt:/", max_size=60)))
def test_patterns_are_idempotent(text):
    once = redact_patterns(text)
    assert redact_patterns(once) == once


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(survey_texts())
def test_ner_redactor_is_idempotent_and_never_leaks(redactor, case):
    text, phones = case
    once = redactor.redact(text)
    assert _leaks(once, phones) == []
    assert redactor.redact(once) == once


def test_the_model_reads_only_passages_that_may_hold_a_name(redactor, monkeypatch):
    read = []
    real_pipe = redactor.nlp.pipe
    monkeypatch.setattr(redactor.nlp, "pipe", lambda texts, **kw: real_pipe(read.extend(texts) or read[-len(read):],
                                                                           **kw))
    may = ["Tigist called us last week.", "We met with Maria at the clinic.", "Our partner, Dr Okafor, helped.",
           "the clinic and Kwame set it up.", "We thank Grace Hill for the referrals."]
    may_not = ["We refer clients to the food bank.", "Trust grew. Funding did not.", "I think CHW visits help.",
               "MEDICAID pays for it.", "no capital letters here at all", "Grants end every year.",
               # capitalised English words no name list holds: program and agency names, not people
               "We bill Medicaid through the Health Department.", "Our Community Health Workers visit."]
    out = redactor.redact_many(may + may_not)
    assert set(read) >= set(may[:1] + may[1:2]) and not set(read) & set(may_not)
    assert out[len(may):] == may_not  # passages the model skips come back as they were
    assert "Maria" not in out[1] and "Kwame" not in out[3]


def test_redactors_share_one_word_list_per_model(redactor):
    """The names module memoises look-ups keyed by the word lists: a second Redactor's equal but distinct
    lists would be compared item by item on every look-up (a run once spent 98 s writing for this)."""
    other = Redactor(use_ner=True)
    other.nlp  # noqa: B018
    redactor.nlp  # noqa: B018
    assert other._english is redactor._english and other._lexicon is redactor._lexicon


def test_a_text_is_read_once_per_redactor(monkeypatch):
    redactor = Redactor(use_ner=False)
    read = []
    original = redactor._redact_new
    monkeypatch.setattr(redactor, "_redact_new", lambda texts: read.extend(texts) or original(texts))
    first = redactor.redact_many(["Call Maria at 555-123-4567.", "We trust them.", "We trust them."])
    again = redactor.redact_many(["We trust them.", "Write to ana@example.org.", "Call Maria at 555-123-4567."])
    assert read == ["Call Maria at 555-123-4567.", "We trust them.", "Write to ana@example.org."]
    assert again == [first[1], Redactor(use_ner=False).redact("Write to ana@example.org."), first[0]]


def test_a_place_named_with_of_is_not_a_first_name():
    """"District of Columbia" read "District of [name]": Columbia is in the first-name list."""
    from themes.redact import Redactor

    redactor = Redactor()
    assert redactor.redact("We serve the District of Columbia and the City of Madison.") == \
        "We serve the District of Columbia and the City of Madison."
    assert redactor.redact("A friend of Columbia called.") == "A friend of [name] called."  # a person still


@pytest.mark.parametrize("unit", ["a-dot-", "a-DOT-", "a-at-b-dot-", "ab-dot-cd-"])
def test_runs_of_spelled_dots_and_ats_do_not_hang_the_redactor(unit):
    """A dash before "dot-" was also a letter of the word before it, so "a-dot-a-dot-..." split into words and
    dots in exponentially many ways: 200 characters took 30 s, 250 took minutes. An alarm, not a timing: a hang
    fails the test, a slow machine does not."""
    import signal

    def hung(*_):
        raise TimeoutError("the e-mail pattern backtracked")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        for size in (200, 2_000):
            assert redact_patterns((unit * size)[:size]) is not None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("text", ["We joined the 2023 Heart Walk.", "Our 2022 Fun Run!",
                                  "The 2020 Route 9 closure hurt access.", "We bought our 2 Route 1 vans.",
                                  "4 Rte 9 shuttles run daily", "12 SR 60 riders a week", "3 CR 12 sites",
                                  "We have 3 Community Health Workers, Boston MA 02115 area."])
def test_counts_and_years_before_road_and_event_names_are_not_addresses(text):
    """A second review found these read as addresses once numbered roads and soft street types ("Walk", "Run")
    were: a year or a count before them, and a road that a lowercase word goes on from, is prose."""
    assert redact_patterns(text) == text


# Names that neither the model nor the lists took alone (a review of 2026-11-30), and the prose around them that stays.
NAMED_BY_CONTEXT = [
    # review 177: a dash sign-off with a role after it, whose name is also a word ("Rosa"); a name after
    # "Contact:"; a role's lower-case name no list knows; addresses written with spaces
    ("dash sign-off with a role", "Our CHWs leave every year. - Rosa, CHW Manager",
     "Our CHWs leave every year. - [name], CHW Manager"),
    ("contact colon", "Contact: Maria (555) 201-3344", "Contact: [name] [phone]"),
    ("contact colon alone", "Contact: Maria", "Contact: [name]"),
    ("lower-case role's name", "The chief yazzie and the elders asked for a written agreement.",
     "The chief [name] and the elders asked for a written agreement."),
    ("lower-case role's name before a verb", "lakota elders and chief yazzie advised us",
     "lakota elders and chief [name] advised us"),
    ("spaced address", "Questions about our workaround: jane . doe @ clinic . org",
     "Questions about our workaround: [email]"),
    ("spaced host", "Send questions to marisol at healthy families dot org.", "Send questions to [email]."),
    ("hyphened Korean given name", "Sung-min Park built the dashboard.", "[name] built the dashboard."),
    ("hyphened given name set apart", "Our analyst, Hye-jin, left in May.", "Our analyst, [name], left in May."),
    ("family name first", "Kim Min-jun and Lee Seo-yeon ran intake.", "[name] and [name] ran intake."),
    ("a Spanish field label is no name", "Teléfono: (555) 201-3344", "Teléfono: [phone]"),
    # review 179: a name after a saint's place is still a name
    ("a name after a street's St.", "Our office moved to Elm St. Maria Gonzalez runs it now.",
     "Our office moved to Elm St. [name] runs it now."),
    # review 180: what the narrowed rules of review 179 let through
    ("contact line family name", "Contact: Nguyen (555) 201-3344", "Contact: [name] [phone]"),
    ("contact line two names", "Contact: Rosa Begay", "Contact: [name]"),
    ("contact line lower case", "Contact: rosa, 555-201-3344", "Contact: [name], [phone]"),
    ("hyphened given name alone", "Thanks to Hye-jin for the flyers.", "Thanks to [name] for the flyers."),
    ("hyphened given names after a cue", "Ask for Hye-jin at the front desk.", "Ask for [name] at the front desk."),
    ("role's name ending in s", "We thanked chief manygoats.", "We thanked chief [name]."),
    ("role's name before was", "Our chief yazzie was great.", "Our chief [name] was great."),
    ("spaced address of an unlisted name", "email yazzie at navajo health dot org", "email [email]"),
    ("spaced local part", "yazzie . t@navajo.org", "[email]"),
    ("a lower-case name that ends in an irregular past", "we thank maria rose for her help",
     "we thank [name] for her help"),
    ("initial first", "Call M. Nguyen at the county.", "Call [name] at the county."),
    ("initials in a list", "Thanks to J. Rodriguez and K. Osei.", "Thanks to [name] and [name]."),
    ("initial after a cue", "Contact J. Smith for the binder.", "Contact [name] for the binder."),
    ("initial after", "Thanks to Rodriguez, J. and Osei, K.", "Thanks to [name] and [name]."),
    ("role", "CHW Okonkwo did the visits.", "CHW [name] did the visits."),
    ("role and comma", "Our CHW, Okonkwo, did the visits.", "Our CHW, [name], did the visits."),
    ("two roles", "Nurse Practitioner Hollis saw patients.", "Nurse Practitioner [name] saw patients."),
    ("rank", "Lt. Gonzales helped.", "Lt. [name] helped."),
    ("chief", "Chief Yazzie helped.", "Chief [name] helped."),
    ("lowercase role", "ask nurse kim about it", "ask nurse [name] about it"),
    ("lowercase title", "We talked to dr okafor about referrals.", "We talked to [name] about referrals."),
    ("capitals title", "Thanks to DR. AMADI.", "Thanks to [name]."),
    ("spanish title", "La señora Martínez nos ayudó mucho.", "La [name] nos ayudó mucho."),
    ("doctora", "La doctora Hernández nos apoya mucho.", "La [name] nos apoya mucho."),  # review 159
    ("lowercase miss", "thanks to miss okafor at the school", "thanks to [name] at the school"),
    ("home", "We met at Maria's house.", "We met at [name]'s house."),
    ("fax", "Our fax is 555-0198.", "Our fax is [phone]."),
    ("number", "number: 867 5309", "number: [phone]"),
    ("office", "you can call the office 555-0100", "you can call the office [phone]"),
    ("form label", "Name: Jennifer Lopez-Ortiz  Phone: 555.867.5309", "Name: [name]  Phone: [phone]"),
    ("surname also a spanish word", "Maria Bravo runs intake.", "[name] runs intake."),
    ("given names also spanish words", "sean murphy helped us", "[name] helped us"),
    ("mail service", "her email is keisha.b at outlook", "her email is [email]"),
    ("mail service after a cue", "email maria at gmail", "email [email]"),
    ("user name", "my gmail is tamikaj1985", "my gmail is [email]"),
    ("lowercase street", "drop off at 123 main street", "drop off at [address]"),
    ("lowercase street and unit", "we meet at 123 main st, apt 4", "we meet at [address]"),
    ("lowercase ordinal street", "The van picks up at 4821 n. 35th st.", "The van picks up at [address]."),
    ("quadrant and unit", "Drop donations at 2210 Cedar Ave S apt 3.", "Drop donations at [address]."),
    ("unit, no street type", "Her apartment is 220 Summit View #3.", "Her apartment is [address]."),
    ("unit before the town", "our new office: 100 N Main, Suite 5, Gallup NM 87301", "our new office: [address]"),
    ("broadway", "Apt 4B, 1250 Broadway, NYC 10001", "[address]"),
    ("a cue before the model's name", "Reach Dana at the clinic.", "Reach [name] at the clinic."),
    ("hyphenated family name", "The Gomez-Sanchez family donated the venue.", "The [name] family donated the venue."),
    ("tell", "Tell Maria I said hi!", "Tell [name] I said hi!"),
    ("a name that says", "Okafor called us back.", "[name] called us back."),
    ("a family", "The Nguyens hosted.", "The [name] hosted."),
    ("a family's possessive", "The Hernandez's brought food.", "The [name] brought food."),
    ("a family's plural in -es", "The Lopezes were our first clients.", "The [name] were our first clients."),
    ("a given name WordNet knows, starting a passage", "Maria from the clinic and our case managers meet weekly.",
     "[name] from the clinic and our case managers meet weekly."),
    ("capitals beside a removed name", "Thanks to JOSE, MARIA and LUPE!", "Thanks to [name], [name] and [name]!"),
    ("unlisted beside a removed name", "Thanks to Gutierrez and Yazzie for the data.",
     "Thanks to [name] and [name] for the data."),
    ("a listed name in capitals before 'and'", "THANKS TO OKONKWO AND THE HUD OFFICE FOR THE HELP.",
     "THANKS TO [name] AND THE HUD OFFICE FOR THE HELP."),
    # and what a second review of these rules found still leaking
    ("beside an acronym", "NAMI and Dr. Patel co-hosted.", "NAMI and [name] co-hosted."),
    ("after a greeting", "Gracias, María por todo.", "Gracias, [name] por todo."),
    ("a family name that is a Spanish word", "Carlos Bueno drove the van.", "[name] drove the van."),
    ("mail service before a stop", "Her email is keisha.b at outlook.", "Her email is [email]."),
    ("an adverb before saying", "Okafor also said yes.", "[name] also said yes."),
    ("a role's possessive", "CHW Okonkwo's visits helped.", "CHW [name]'s visits helped."),
    # an unlisted name: "Lopez y Hodan", since Hodan is listed, reads as one compound family name ("[name] helped.")
    ("a Spanish list", "Ms. Lopez y Warsame helped.", "[name] y [name] helped."),
    ("a quadrant with stops before a unit", "2210 Cedar Ave. S., Apt 3", "[address]"),
    # and a third review
    ("two roles in a row", "CHW Okonkwo and CHW Mensah cover the north side.",
     "CHW [name] and CHW [name] cover the north side."),
    ("two lower-case titles", "dr patel and dr okafor both refer patients to us",
     "[name] and [name] both refer patients to us"),
    ("a title before a place's name", "Mrs. Washington runs the senior lunch program.",
     "[name] runs the senior lunch program."),
    ("a title, a name and 'said'", "Ms. Jackson said the clinic is full.", "[name] said the clinic is full."),
    ("a user name ending in s", "email carlos at gmail", "email [email]"),
    ("a home in lower case", "the family lives on 42 oak st, they need a ramp",
     "the family lives on [address], they need a ramp"),
    ("a home and unit in lower case", "i live at 1420 olive st apt 5 and the landlord wont fix the heat",
     "i live at [address] and the landlord wont fix the heat"),
    ("a title in capitals before a verb", "STARTED IN 2019 WHEN DR. ANGELA BROOKS CALLED US.",
     "STARTED IN 2019 WHEN [name] CALLED US."),
    # a program officer's review of the quotes: contact details that reached them
    ("a dot spelled out before a mail service", "Our lead is Jamal; write to jamal dot w at yahoo for the story.",
     "Our lead is [name]; write to [email] for the story."),
    ("an underscore spelled out", "Or email rosa underscore m at hotmail.", "Or email [email]."),
    ("a number before what it is", "I run the program; 555 0143 is the office line.",
     "I run the program; [phone] is the office line."),
    ("an extension beside an address", "Contact Tom Brennan, tom.brennan@stlukes.org, ext 4411.",
     "Contact [name], [email], [phone]."),
    ("reach", "Reach Tom at tom.b@stlukes.org to hear how we built it.",
     "Reach [name] at [email] to hear how we built it."),
    ("write to", "write to Keisha at 555-201-3344 anytime", "write to [name] at [phone] anytime"),
    ("an extension after 'at'", "Reach Dr. Patel at ext 4411.", "Reach [name] at [phone]."),
    ("six to call", "Call Maria, Keisha, Tom, Grace, Joy or Hope for help.",
     "Call [name], [name], [name], [name], [name] or [name] for help."),
    ("a number before a line that ends", "555-0143 is my cell, call anytime.", "[phone] is my cell, call anytime."),
    ("the second of two to call", "Call Mark or Grace in the office.", "Call [name] or [name] in the office."),
    ("three to call", "Call Tom, Maria and Grace today.", "Call [name], [name] and [name] today."),
    # near variants of those, left by the second review
    ("a spelled dot before a mail domain", "Write to jamal dot w at yahoo.com for details.",
     "Write to [email] for details."),
    ("a spelled underscore before a domain", "or rosa underscore m at clinicnet.org", "or [email]"),
    ("an extension after a call", "Call extension 4411 for the desk.", "Call [phone] for the desk."),
    ("an x glued to an extension", "Dial x4411 and ask for the nurse.", "Dial [phone] and ask for the nurse."),
    ("an extension after a local number", "Call 555-0143, extension 4411.", "Call [phone]."),
    ("a word at an extension", "The front desk is at extension 4411.", "The front desk is at [phone]."),
    ("a number before an old line", "555-0143 was the old hotline.", "[phone] was the old hotline."),
    ("a number before a new one", "555 0143 is our new office number.", "[phone] is our new office number."),
    # holes a third review found beside them
    ("a user name with a dot before a mail domain", "maria.lopez at gmail.com is best.", "[email] is best."),
    ("an x after 'at'", "Leave a message at x4411.", "Leave a message at [phone]."),
    ("an extension that says whose it is", "ext. 4411 is my desk.", "[phone] is my desk."),
    ("a short extension after a call", "dial extension 22", "dial [phone]"),
    ("the second of two extensions", "Call extension 4411 or 4412.", "Call [phone] or [phone]."),
    ("the second of two x", "Leave a message at x4411 or x4412.", "Leave a message at [phone] or [phone]."),
    # and what a review of those found beside them
    ("a list of three extensions", "Call extension 4411, 4412 or 4413", "Call [phone], [phone] or [phone]"),
    ("an extension said to be mine", "My extension is 4411.", "My extension is [phone]."),
    ("a desk at an extension", "My desk is ext. 4411.", "My desk is [phone]."),
    ("a direct line at an x", "My direct line: x4411", "My direct line: [phone]"),
    ("an x said to be mine", "x4411 is my desk.", "[phone] is my desk."),
    ("two digits where the detail ends", "Call me at extension 22.", "Call me at [phone]."),
    ("an x of two digits after a call", "call x22 for the front desk", "call [phone] for the front desk"),
    ("an x of two digits after an address", "jdoe@clinic.org x22", "[email] [phone]"),
    ("a spelled dot after 'email'", "Email nurse dot kim at clinic.org", "Email [email]"),
    ("a spelled dot before a mail service", "maria dot lopez dot chw at gmail.com", "[email]"),
    ("a spelled underscore before a mail service", "dlewis underscore chw at gmail.com", "[email]"),
    ("a capital Dot before a mail service", "jamal Dot washington at yahoo.com", "[email]"),
]
KEPT_BESIDE_THEM = [
    # beside review 177's: a list's last item, an organisation after "Contact:", prose after a role
    "Priorities:\n- Hope, Housing", "Contact: Community Health Center of Tulsa", "Contact: Outreach Team",
    "the chief complaint was pain", "our chw hrs are cut", "our promotora trabaja bien", "chief medical officer left",
    "We met at city hall. Then more.", "Look at the data dot by dot for us",
    "Ha-ha, that was fun.", "A So-so year.", "in-home visits and co-op meetings", "Follow-up calls",
    "We partner with St. Vincent de Paul on food.",
    # review 179: verbs after a role are no names
    "The coordinator onboarded three new volunteers.", "Our director cochairs the board.",
    "The principal cofounded the school.", "The officer deescalated things.",
    "Families can apply at health care dot gov each fall.", "Find us online at healthy families dot org.",
    "Ah-ha moments happen.", "The Jin-Ho Foundation supports us.",
    "Contact: Lincoln Elementary", "Contact: Hope House shelter", "Contact: jordan health center",
    "St. Joseph was our first hospital partner.", "We need more navigator mentorship.",
    "A navigator hotline and a text line were added.", "We valued the partnership.\n- Lincoln Elementary, Principal",
    "Sun-Young senior center opened.", "elder abuse cases rose", "our costs rose sharply",
    "We miss deadlines often.", "We miss Medicaid expansion dollars.", "Clients miss appointments without rides.",
    "Our Chief Medical Officer signed it.", "The nurse case manager calls weekly.",
    "We've replaced 60% of our RN CMs in 18 months.", "The system pays its own navigator FTEs.",
    "We need a nurse. Can't afford one.", "The W. K. Kellogg Foundation funds us.",
    "We met in Washington, D.C. last May.", "Medicare Part D. covers it.", "Elder care is a focus.",
    "We met in Atlanta's health department.", "The number of clients grew from 150 to 2000.",
    "Las familias necesitan más ayuda con el transporte.", "We need more help, muy bien.",
    "Que ninguna familia campesina se quede sin comida ni medicina.",
    "We met at Yahoo headquarters.", "We meet at live events.", "We chat at gmail.", "my email is broken",
    "We serve 20 new road projects.", "at 30 sites along the road.",
    "We handed out 300 gift cards at 12 local st. events.",
    "We met 20 Health Workers #2 in line.", "We have 40 Oak Hollow families.",
    "Very top-down. We're told which outcomes to chase.", "Shared metrics. Everybody agreed on three numbers.",
    "Aetna said no.", "Airtable emailed us.", "Molina said they would pay.", "Humana told us.",
    "The Woods are where we hold camp.", "The Browns gave money.",
    "Trust: we built it.", "- Grace (period) of 30 days", "1. Mercy - hospital partner",
    "We thank [name] and Kaiser Permanente.",
    "[name], Spanish and English speakers joined.", "[name] and Grace Church hosted.",
    "The county of Los Angeles helped a lot.", "WE SERVE FAMILIES IN SAN JOSE AND SANTA CLARA COUNTY.",
    "WE WORK WITH THE CHW TEAM AND THE FQHC. FUNDING IS SHORT.", "OUR PARTNER MERCY HEALTH GAVE US A GRANT.",
    "I THINK WILL AND GRACE PERIODS MATTER.", "OUR CLIENTS IN NEW YORK AND EAST LOS ANGELES NEED HELP.",
    "WE GOT A GRANT FROM THE ROBERT WOOD JOHNSON FOUNDATION.", "MEDICAID DOES NOT PAY FOR CHW VISITS.",
    # over-removed by the first version of these rules (a second review)
    "The clinic is 45 minutes each way.", "Patients travel up to 50 miles one way.", "It is 20 min drive.",
    "Mi tío trabaja en la clínica.", "La promotora habló con cada familia.", "The CHW charlas were well attended.",
    "CHW hrs were cut.", "The CHW Bill passed in 2021.", "CHW WhatsApp group helped.", "RN Case Managers followed up.",
    "Chief Manuelito Middle School let us use the gym.", "The Lt Governor spoke at the summit.",
    "RN Ozempic questions came up.", "CHW Salesforce tracking.", "Johns Hopkins said no.", "City Hall said no.",
    "Sutter agreed to fund two CHWs.", "We handed out flyers at Wendy's parking lot.",
    "Meetings were in Room B. Parking was hard.", "S. Carolina partners joined.",
    "Our budget line 100-1200 covered salaries.", "Number: 1500000", "My email is 2 weeks behind.",
    "We email families at gmail accounts.", "We bought 12 Broadway tickets.", "We have 24 Beds Unit 5.",
    "Top 10 Priorities #1.", "The 2020 Census Tract #4.", "HB 1234 Section #5.", "The Dillons store donated.",
    "Bassett agreed.", "Karen refugees said the same.", "Hamilton (county) health department",
    "the care coordinator ties it all together",
    # and by a third
    "SINCE COVID EVERYTHING HAS MOVED ONLINE AND OUR SENIORS STRUGGLE.", "IT IS 60 MILES EACH WAY TO THE NEAREST OB.",
    "THE DRIVE IS 45 MINUTES EACH WAY.", "WE PARTNER WITH HENRY FORD HEALTH ON MATERNAL HEALTH.",
    "We miss the old building.", "Walmart dona Gatorade para la carrera.", "The A. Philip Randolph Institute helped.",
    "the J. Paul Getty Trust funds it.",
    # and beside the program officer's
    "We reach rural families.", "Call [name] or Grace Church.",
    "Thanks to [name] and Mercy Hospital.", "The text line is free.", "Reach out to [name] and our partners.",
    # and what a second review of those found over-removed
    "We reach Black mothers through doulas and the WIC office.", "With the REACH Grant from CDC we hired three CHWs.",
    "The mobile market helps us reach Georgia's rural counties.", "We reach Washington Park residents weekly.",
    "We reach Christian congregations.", "We write to Phoenix Children's about referrals.",
    "300-1200 was the number of visits per month during COVID.", "Budget code 700-1100 was the line that got cut.",
    "Grant 550-1234 is the number the state assigned.", "An ext. 90 days was granted by the state.",
    "Ext 2023 annual report", "The probation period ended at comcast and she joined us.",
    "Ask [name] and Christian families to join.",
    # and beside the near variants
    "Our data runs on x86 servers.", "We rely on extension 4-H agents and the county extension office.",
    "At extension 12 of the program we added a nurse.", "We call x-ray results in daily.",
    "The ring road at x20 junction.", "Calls on ext lines went up 20%.",
    "The hotline was 24/7 and the new number is on the website.", "Version two dot oh at scale was the plan.",
    "We talk to Christian families after services.", "Ask Hope elders to help.",
    "We have no staff. Small CBOs like ours can't compete.", "Rich FQHCs get the grants.",
    # and beside the third review's: a spelled "dot" in prose is no address ("We run the [email] for students.")
    "We run the Green Dot program for students at the high school.", "We sold polka dot scarves at the fair.",
    "The Blue Dot campaign at the county helped.", "Dial x10 on the keypad.",
    "We have [phone] and 2020 was our best year.", "Call [phone] or 2 others on the team.",
    "Call [phone] and 1115 waiver questions go to Medicaid.", "The hotline [phone] and 3000 volunteers made it work.",
    "Our EHR runs on X1500 servers.", "We were at x2000 magnification.", "Diabetes prevention at x1000 sites",
    "Call extension 10 times.", "call extension 22 staff weekly", "Our extension 2024 report is out.",
]


@pytest.mark.parametrize("text, expected", [(t, e) for _, t, e in NAMED_BY_CONTEXT],
                         ids=[i for i, *_ in NAMED_BY_CONTEXT])
def test_names_said_by_their_context_are_removed(redactor, text, expected):
    assert redactor.redact(text) == expected


@pytest.mark.parametrize("text", KEPT_BESIDE_THEM)
def test_prose_beside_those_contexts_is_kept(redactor, text):
    assert redactor.redact(text) == text


@pytest.mark.parametrize("text, expected", [
    ("We run the Green Dot program at uky.edu for students.", "We run the Green Dot program at [url] for students."),
    ("We sold polka dot scarves at etsy.com last year.", "We sold polka dot scarves at [url] last year."),
    ("Write to jamal dot w at yahoo.com or rosa underscore m22 at clinic.org.", "Write to [email] or [email]."),
])
def test_a_spelled_dot_joins_a_user_name_only_between_its_parts(redactor, text, expected):
    """A third review: "We run the Green Dot program at uky.edu" read "We run the [email]", a sentence's words taken
    for an address's user part. Only names, initials and parts with digits are joined by a spelled dot."""
    assert redactor.redact(text) == expected


def test_a_grant_code_before_a_range_of_years_reads_as_no_phone_the_second_time():
    """Found by hypothesis: once the US number was a placeholder, libphonenumber read "08-1234 2017-2019" (the end of a
    grant code and a range of years) as a German number, so redacting twice differed from once."""
    once = redact_patterns("H79-SM-08-1234 2017-2019 200-200-0000 ")
    assert once == "H79-SM-08-1234 2017-2019 [phone] " and redact_patterns(once) == once


def test_a_number_after_an_extension_and_its_country_code_is_a_phone():
    """Found by hypothesis: the grant-code rule above first skipped any number glued by a "-", and so this one."""
    assert redact_patterns("(200) 200-0000 ext. 1-200-200-0000 ") == "[phone]-[phone] "


def _test_strings() -> list[str]:
    """Every string written in the redaction and PII tests, and the PII set's passages: the texts the patterns know."""
    import ast
    import json

    here = Path(__file__).parent
    found = [node.value for name in ("test_redact.py", "test_pii_set.py", "test_names.py")
             if (here / name).exists() for node in ast.walk(ast.parse((here / name).read_text(encoding="utf-8")))
             if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    passages = here.parent / "data" / "pii" / "passages.jsonl"
    for line in passages.read_text(encoding="utf-8").splitlines():
        found += [value for value in json.loads(line).values() if isinstance(value, str)]
    return found


def _gate_misses(text: str) -> list[str]:
    """The patterns that find something in `text` although their group's quick check says none can."""
    import themes.redact as r

    groups = {r._MAY_BE_EMAIL: (r._EMAIL, r._CUED_EMAIL, r._OBFUSCATED_EMAIL, r._BARE_EMAIL, r._SERVICE_EMAIL,
                                r._HANDLE),
              r._MAY_BE_URL: (r._URL,),
              r._DIGIT: (r._BIRTH_DATE, r._RECORD, r._SSN, r._ADDRESS, r._PLACE_GOES_ON, r._LOWER_STREET, r._PHONE,
                         r._LOCAL_PHONE)}
    return [pattern.pattern[:40] for gate, patterns in groups.items() if not gate.search(text)
            for pattern in patterns if pattern.search(text)]


def test_each_group_of_patterns_is_skipped_only_where_none_of_them_can_find_anything():
    # redact_patterns runs the e-mail, web and number patterns only where their quick check finds what they all
    # need; a pattern added or widened past its check would silently stop redacting.
    texts = _test_strings()
    assert len(texts) > 1000
    assert [(text, misses) for text in texts if (misses := _gate_misses(text))] == []


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="aAtTmio @＠%40&#;[]()<>_-.:/ \tcomrgdu1234567890\n", max_size=40))
def test_the_quick_checks_never_skip_a_pattern_that_would_match(text):
    assert _gate_misses(text) == []


# Given names the SSA's lists add to Faker's (data/pii/build_names.py): names of the country's immigrant communities
# that no Faker locale holds, which the model alone did not take for people. And words of the SSA's lists that are
# places or English words, left out of the name list so that answers naming them keep them.
SSA_NAMES = [
    ("Priyanka wrote the report for the board.", "[name] wrote the report for the board."),
    ("Tuyet helped us with the intake forms.", "[name] helped us with the intake forms."),
    ("We called Hodan every week.", "We called [name] every week."),
    ("Ambassadors Fatima and Hodan run the sessions.", "Ambassadors [name] and [name] run the sessions."),
    ("Thanks to Oluwaseun for the translation.", "Thanks to [name] for the translation."),
    ("Rajesh from the health plan never returned our calls.", "[name] from the health plan never returned our calls."),
    ("Thanks to J. Rodriguez and K. Osei.", "Thanks to [name] and [name]."),  # "Osei", now listed, went before "K."
    ("We use Plan B. Maria says it works.", "We use Plan B. [name] says it works."),  # a label's letter stays
    ("Route 9 B. Maria Lopez drives.", "Route 9 B. [name] drives."),
    ("1. A. Maria Lopez answered.", "1. A. [name] answered."),
    ("Thanks to K. Osei, J. Osei and M. Osei.", "Thanks to [name], [name] and [name]."),
    # a third reviewer's: names followed by a job title stay removed (no word of a place's name keeps them)
    ("Jose Ramirez Building Manager let us in.", "[name] Manager let us in."),
]
SSA_WORDS_KEPT = [
    "Many families moved away to Lexington or Ohio, so we lost touch.",
    "Screening rates among Latina women ages 40-64 stayed low.",
    "Two Bronx zip codes had no clinic.",
    "Videos were shown at parish hall. We do a survey after.",
    "Families speak languages like Dari and Kinyarwanda.",
    "You can meet someone at a McDonald's if that's where they are.",
    # a reviewer's: family names, brands and Spanish words among the SSA's names
    "The Montoya Building is on Central Avenue.", "Hyatt and Marriott donated hotel rooms.",
    "Toshiba donated a copier to the office.", "Prisma is the largest health system in South Carolina.",
    "Families celebrate the Virgen on December 12.", "Lluvia de Ideas is our planning session.",
    "The Indica dispensary opened next to the school.",
]


@pytest.mark.parametrize("text, expected", SSA_NAMES)
def test_given_names_of_immigrant_communities_are_removed(redactor, text, expected):
    assert redactor.redact(text) == expected


@pytest.mark.parametrize("text", SSA_WORDS_KEPT)
def test_places_and_words_that_are_also_given_names_are_kept(redactor, text):
    assert redactor.redact(text) == text


def test_the_given_name_list_leaves_out_english_words_and_places_of_the_ssa_names():
    from themes.names import capitalised_given_names, name_lists

    first, last = name_lists()
    assert {"priyanka", "tuyet", "hodan", "oluwaseun", "maria"} <= first
    assert {"priyanka", "tuyet", "hodan", "oluwaseun"} <= capitalised_given_names() and "maria" not in \
        capitalised_given_names()
    assert not {"lexington", "bronx", "latina", "dari", "backer", "nami", "montoya", "toshiba", "virgen", "naman",
                "notnamed"} & first


@pytest.mark.parametrize("text, expected", [
    ("our promotora yatziri lopez visits every week", "our promotora [name] visits every week"),
    ("la doctora aaradhya patel nos ayuda", "la doctora [name] nos ayuda"),
    ("HODAN AND THE PANTRY TEAM MEET", "HODAN AND THE PANTRY TEAM MEET"),
])
def test_the_ssa_names_are_names_only_when_capitalised(redactor, text, expected):
    """In lower case the SSA's names pulled the words beside them into a name ("our [name]" for "our promotora
    yatziri lopez"): a second reviewer's. Read only when capitalised, they leave such text as before (the
    family name's rule still takes "lopez" and "patel" with the word before them)."""
    from themes.names import capitalised_given_names

    assert {"yatziri", "aaradhya", "hodan"} <= capitalised_given_names()
    assert redactor.redact(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("María [name] is our lead promotora.", "[name] is our lead promotora."),
    ("Thanks to Álvaro, [name] and [name].", "Thanks to [name], [name] and [name]."),
    ("Maria [name] called.", "[name] called."),
    ("MARÍA [name] called.", "MARÍA [name] called."),  # in capitals a word as often: not joined
])
def test_an_accented_given_name_before_a_removed_one_joins_it(text, expected):
    """A fourth reviewer's "María del Carmen Ruiz" came out "María [name]": the given name before a removed one was
    looked for in ASCII letters only."""
    from themes.names import absorb_given_names

    assert absorb_given_names(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Built by [name] and [name] Ruiz.", "Built by [name] and [name]."),  # "Maria del Carmen" removed, "Ruiz" left
    ('Our director, [name] "[name]" Okafor, called.', 'Our director, [name] "[name]", called.'),
    ("Thanks to [name] Park for the data.", "Thanks to [name] Park for the data."),  # an English word
    ("[name] Jackson County staff met.", "[name] Jackson County staff met."),  # a place's name follows
    ("We met [name] Tuesday.", "We met [name] Tuesday."),
])
def test_a_family_name_left_after_a_removed_name_joins_it(redactor, text, expected):
    """A fourth reviewer's "Maria del Carmen Ruiz" came out "[name] Ruiz": "del" cut the run of listed names."""
    from themes.names import absorb_given_names

    redactor.nlp  # its word lists
    assert absorb_given_names(text, redactor._english) == expected
    assert absorb_given_names(text) == text  # without the word lists, no family name is taken after a removed one


@pytest.mark.parametrize("text, expected", [
    ("gonzalez, maria (director) keeps the relationship going.", "[name], [name] (director) keeps the relationship "
                                                                 "going."),
    ("smith, john - program lead, handles the referrals.", "[name], [name] - program lead, handles the referrals."),
    ("Consultant (gonzalez, maria)", "Consultant ([name], [name])"),
    ("Signed in: Okafor, Chidi and Lee, Ann.", "Signed in: [name], [name] and [name], [name]."),
])
def test_a_family_name_a_comma_and_a_given_name_are_a_name(redactor, text, expected):
    """A review of the officer's outputs (2026-12-01): "gonzalez, maria", as sign-in sheets and lists write people,
    reached a picked quote and a count file's group name."""
    assert redactor.redact(text) == expected


@pytest.mark.parametrize("text", ["We serve Washington, Georgia and Alabama.", "Funding, staff and space are short.",
                                  "Rivera, the clinic's director, called back.", "black, white and hispanic families"])
def test_a_comma_between_words_that_are_no_family_and_given_name_keeps_them(redactor, text):
    assert "[name], [name]" not in redactor.redact(text)


@pytest.mark.parametrize("text, expected", [
    ("Office 555-0143 is always busy, so referrals stall.", "Office [phone] is always busy, so referrals stall."),
    ("Questions? 555-0143. Funding is the issue.", "Questions? [phone]. Funding is the issue."),
    ("My name is Ana, Director, Hope Community Services, 555-0143.", None),
    ("Jenny at the front desk: 867-5309", "Jenny at the front desk: [phone]"),
    ("The clinic's number changed to 555.0143 last year.", "The clinic's number changed to [phone] last year."),
    # ranges of counts and years stay: they run upward between round numbers
    ("We reach 500-1000 families a year.", "We reach 500-1000 families a year."),
    ("A budget line of 250-1500 per site.", "A budget line of 250-1500 per site."),
    ("We see 300-350 clients and 200-1250 visits.", "We see 300-350 clients and 200-1250 visits."),
    ("Funded 2017-2019 under grant H79-555-0143.", "Funded 2017-2019 under grant H79-555-0143."),
])
def test_a_local_number_with_no_cue_is_a_phone_number(text, expected):
    """Seven digits with no word of calling reached the quotes, the report and the evidence ("Office 555-0143 is
    always busy", a signature's "..., 555-0143"; review 159)."""
    from themes.redact import redact_patterns

    redacted = redact_patterns(text)
    assert "555-0143" not in redacted if expected is None else redacted == expected
