"""Screening: every answer gets a status and, unless it goes on to coding, a reason."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from themes.ingest import InputSpec, load_answers
from themes.status import screen_answers

SPANISH = ("Nuestra organización trabaja con el hospital del condado para ofrecer servicios de salud "
           "a las familias de la comunidad.")
LONG = ("We meet with the clinic every month to review referrals and talk through what is working. "
        "The food bank staff join when they can, and the county sends someone twice a year.")


def frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["respondent_id", "question", "answer_raw"])


def outcome(screened: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    return list(screened[["respondent_id", "question", "status", "reason"]].itertuples(index=False, name=None))


def test_statuses_and_reasons():
    answers = frame([
        ("A", "q1", "We trust our partners after many years of working together."),
        ("A", "q2", "   "),
        ("A", "q3", "N/A"),
        ("A", "q4", "we trust our partners after many years of working together!"),
        ("A", "q5", "..."),
        ("B", "q1", SPANISH),
        ("B", "q2", LONG),
        ("B", "q3", "Funding."),
        ("C", "q1", "資金が足りず、スタッフも不足しています。"),
    ])

    screened = screen_answers(answers, max_words=10)

    assert outcome(screened) == [
        ("A", "q1", "pending", ""),
        ("A", "q2", "empty", "blank"),
        ("A", "q3", "non_answer", 'placeholder "N/A"'),
        ("A", "q4", "duplicate", "same text as this respondent's answer to 'q1'"),
        ("A", "q5", "non_answer", "no letters or digits"),
        ("B", "q1", "non_english", "detected language 'es'; not coded against an English codebook "
                                   "(set --languages to code it with a multilingual model)"),
        ("B", "q2", "too_long", "32 words; coded on the first 10 (full text kept)"),
        ("B", "q3", "pending", ""),  # too short to judge its language: taken as English
        ("C", "q1", "non_english", "detected language 'ja'; not coded against an English codebook "
                                   "(set --languages to code it with a multilingual model)"),
    ]


def test_too_long_is_coded_up_to_the_word_limit():
    screened = screen_answers(frame([("B", "q2", LONG)]), max_words=10)

    coded_end = int(screened.at[0, "coded_end"])
    assert LONG[:coded_end] == "We meet with the clinic every month to review referrals"
    assert screened.at[0, "answer"] == LONG  # the full text is kept


def test_an_answer_at_the_limit_is_not_too_long():
    text = "one two three four five six seven eight nine ten"

    screened = screen_answers(frame([("A", "q1", text)]), max_words=10, languages=())

    assert screened.at[0, "status"] == "pending"
    assert screened.at[0, "coded_end"] == len(text)


def test_repeat_submission_keeps_the_first_respondent():
    answers = frame([
        ("C", "q1", "Funding is short and staff keep leaving."), ("C", "q2", "Data sharing is slow."),
        ("D", "q1", "Funding is short and staff keep leaving."), ("D", "q2", "Data sharing is slow"),
        ("E", "q1", "Funding is short and staff keep leaving."), ("E", "q2", "Something else entirely here."),
    ])

    screened = screen_answers(answers)

    assert outcome(screened) == [
        ("C", "q1", "pending", ""), ("C", "q2", "pending", ""),
        ("D", "q1", "duplicate", "repeat of the submission of respondent C"),
        ("D", "q2", "duplicate", "repeat of the submission of respondent C"),
        # E shares one answer with C, not the whole submission: both of E's answers are coded.
        ("E", "q1", "pending", ""), ("E", "q2", "pending", ""),
    ]


def test_the_same_submission_from_respondents_of_another_type_or_state_is_no_repeat():
    """Respondent 5001 (Hospital, WA) was dropped as a repeat of 5000 (Government, GA): two organisations that sent a
    coalition's shared statement are two respondents. A repeat whose metadata agree, or are missing on one side, is
    still one."""
    texts = [("q1", "Funding is short and staff keep leaving."), ("q2", "Data sharing is slow.")]
    rows = [(r, q, t) for r in ("C", "D", "E", "F") for q, t in texts]
    answers = frame(rows)
    answers["org_type"] = [kind for kind in ("Government", "Hospital", "Government", "unknown") for _ in texts]
    answers["state"] = [state for state in ("GA", "WA", "ga", "GA") for _ in texts]

    screened = screen_answers(answers)

    assert [r for r, _, status, _ in outcome(screened) if status == "duplicate"] == ["E", "E", "F", "F"]
    # A column that differs between a submission and its repeat sent a week later (a project's batch, a wave) is
    # not compared: only a respondent's type and place are.
    answers["batch"] = [batch for batch in ("week1", "week1", "week2", "week2") for _ in texts]
    assert outcome(screen_answers(answers)) == outcome(screened)
    # Metadata named otherwise (Qualtrics's 'Q2' over "Which best describes your organization?", a user's
    # 'Provider type') is compared too.
    answers = frame(rows[:4])
    answers["Q2"] = ["Nonprofit CBO"] * 2 + ["FQHC"] * 2
    assert "duplicate" not in set(screen_answers(answers)["status"])
    assert set(screened.loc[screened["respondent_id"] == "E", "reason"]) == {"repeat of the submission of respondent C"}


def test_the_same_short_answers_from_two_respondents_are_not_a_repeat_submission():
    # Two people can both answer only "Funding." (and "N/A"); neither answer is dropped.
    answers = frame([("H", "q1", "Funding."), ("H", "q2", "N/A"), ("H", "q3", ""),
                     ("I", "q1", "Funding."), ("I", "q2", "N/A"), ("I", "q3", "")])

    screened = screen_answers(answers)

    assert list(screened["status"]) == ["pending", "non_answer", "empty"] * 2


def test_respondents_who_left_everything_blank_are_not_repeats():
    screened = screen_answers(frame([("F", "q1", ""), ("F", "q2", ""), ("G", "q1", ""), ("G", "q2", "")]))

    assert list(screened["status"]) == ["empty"] * 4
    assert list(screened["reason"]) == ["blank"] * 4


def test_other_languages_can_be_allowed():
    screened = screen_answers(frame([("B", "q1", SPANISH)]), languages=("en", "es"))

    assert screened.at[0, "status"] == "pending"


def test_answers_are_cleaned_before_screening():
    screened = screen_answers(frame([("A", "q1", "<p>Trust&nbsp;matters.</p><p>So does money.</p>")]))

    assert screened.at[0, "answer"] == "Trust matters.\nSo does money."
    assert screened.at[0, "coded_end"] == len("Trust matters.\nSo does money.")


def test_every_row_has_a_status_and_a_reason_where_not_pending(tiny_responses_path):
    answers, _, _ = load_answers(tiny_responses_path, InputSpec())

    screened = screen_answers(answers)

    assert len(screened) == len(answers) == 15
    assert screened["status"].isin(["pending", "empty", "non_answer", "duplicate", "non_english", "too_long"]).all()
    not_pending = screened[screened["status"] != "pending"]
    assert (not_pending["reason"].str.len() > 0).all()
    assert (screened.loc[screened["status"] == "pending", "reason"] == "").all()
    assert dict(screened["status"].value_counts()) == {"pending": 12, "non_answer": 2, "empty": 1}
    assert outcome(not_pending) == [
        ("R2", "community_engagement", "non_answer", 'placeholder "N/A"'),
        ("R3", "effective_practices", "non_answer", 'placeholder "see above"'),
        ("R4", "challenges", "empty", "blank"),
    ]
    # The input's own columns come through untouched.
    pd.testing.assert_frame_equal(screened[answers.columns], answers)


@pytest.mark.parametrize("max_words", [1, 3])
def test_coded_end_is_the_end_of_the_last_coded_word(max_words):
    text = "Trust  between\tpartners matters most of all to us here."

    screened = screen_answers(frame([("A", "q1", text)]), max_words=max_words, languages=())

    cleaned = screened.at[0, "answer"]
    coded = cleaned[:int(screened.at[0, "coded_end"])]
    assert len(coded.split()) == max_words and not re.search(r"\s$", coded)


def test_short_english_lists_the_identifier_is_unsure_of_are_coded():
    # py3langid calls these Central Bikol, Latin, French and Catalan, at 0.12-0.30: not confident enough to
    # leave an English answer uncoded. The Spanish answer (0.98) still is.
    english = ["Hiring bilingual, bicultural staff.", "Expand doula and lactation services.",
               "Continuous quality improvement. PDSA cycles.", "Benefits enrollment (SNAP, LIHEAP, Medicaid, SSI)."]
    screened = screen_answers(frame([("A", f"q{k}", text) for k, text in enumerate(english)] + [("B", "q1", SPANISH)]))
    assert list(screened["status"]) == ["pending"] * 4 + ["non_english"]


def test_a_submission_sent_again_with_one_answer_edited_is_read_once_the_fuller_kept():
    """A form filled in again to fix a sentence counted its sender twice: the other version is a duplicate of the
    fuller one."""
    first = [("q1", "Funding is short every year and staff keep leaving for the hospital."),
             ("q2", "Data sharing is slow because the county portal is down half the time."),
             ("q3", "We meet the clinic monthly to review referrals together."), ("q4", "")]
    later = [("q1", "Funding is short every year, and our staff keep leaving for the hospital."),
             ("q2", "Data sharing is slow because the county portal is down half the time."),
             ("q3", "We meet the clinic monthly to review referrals together."), ("q4", "")]
    other = [("q1", "Grants end after two years and nobody covers ongoing costs."),
             ("q2", "Data sharing is slow because the county portal is down half the time."),  # one shared answer
             ("q3", "Our partners know each other well and are honest."), ("q4", "")]
    answers = frame([("R1", q, t) for q, t in first] + [("R2", q, t) for q, t in other]
                    + [("R7", q, t) for q, t in later])
    screened = screen_answers(answers)
    assert sorted(screened.loc[screened["status"] == "pending", "respondent_id"].unique()) == ["R2", "R7"]
    assert set(screened.loc[(screened["respondent_id"] == "R1") & (screened["answer"] != ""), "reason"]) == {
        "another version of the submission of respondent R7, sent again with one of its 3 answers edited, the others "
        "word for word: the fuller one is coded"}
    # Three versions: the fullest is kept, the others named after it
    answers = frame([("R1", q, t) for q, t in first] + [("R7", q, t) for q, t in later]
                    + [("R8", q, t + " Also vans." if q == "q3" else t) for q, t in later])
    screened = screen_answers(answers)
    assert set(screened.query("status == 'pending'")["respondent_id"]) == {"R8"}
    assert {r.split(",")[0] for r in screened.query("status == 'duplicate'")["reason"]} == {
        "another version of the submission of respondent R8"}
    # A sentence added to a short answer; a repeat whose type was left blank, of a version not kept
    short = [("q1", "Get our own building."), ("q2", "More staff for the clinic."), ("q3", "Better data systems."),
             ("q4", "Trust built over many years of shared work.")]
    answers = frame([("S1", q, t) for q, t in short] + [("S1b", q, t) for q, t in short]
                    + [("S2", q, t + " We rent now." if q == "q1" else t) for q, t in short])
    answers["org_type"] = ["Hospital"] * 4 + [""] * 4 + ["Hospital"] * 4
    screened = screen_answers(answers)
    assert set(screened.query("status == 'pending'")["respondent_id"]) == {"S2"}
    assert set(screened.loc[screened["respondent_id"] == "S1b", "reason"]) == {
        "repeat of the submission of respondent S2"}
    # A first try left unfinished stays a respondent of its own: it reads as a coalition's letter sent alone beside
    # a member's that added a line
    answers = frame([("R7", q, t) for q, t in later[:3]] + [("R9", q, t) for q, t in later[:3]]
                    + [("R9", "q4", "Promotoras go door to door in the east side.")])
    assert "duplicate" not in set(screen_answers(answers)["status"])


def test_different_respondents_with_alike_answers_are_not_read_as_one_sent_again():
    """Two organisations of one type and state that pasted a coalition's statement into six answers and wrote two
    their own; the same organisation answering the 2023 and 2024 waves: two submissions each (a review found 55 of
    a panel's 60 first-wave respondents read as earlier versions of the second)."""
    template = [(f"q{k}", f"Our coalition of {k + 4} agencies shares one intake line and one referral form.")
                for k in range(6)]
    answers = frame([(r, q, t) for r in ("A", "B") for q, t in template]
                    + [("A", "q6", "Vans for the rural clinics."), ("B", "q6", "A second nurse for the school."),
                       ("A", "q7", "Housing first."), ("B", "q7", "Food boxes on Fridays.")])
    answers["org_type"], answers["state"] = "Nonprofit CBO", "OR"
    assert "duplicate" not in set(screen_answers(answers)["status"])
    edited = [*template[:2], (template[2][0], template[2][1] + " Still true.")]
    panel = frame([("A", q, t) for q, t in template[:3]] + [("A-24", q, t) for q, t in edited])
    panel["wave"] = ["2023"] * 3 + ["2024"] * 3
    assert "duplicate" not in set(screen_answers(panel)["status"])
    panel["wave"] = "2024"  # the same wave: a version sent again
    assert set(screen_answers(panel).query("status == 'duplicate'")["respondent_id"]) == {"A"}
    # A timepoint ("Time 1", "Time 2") is compared like a wave; a timestamp (a value per submission) is not, and a
    # column whose name merely holds "end" or "source" is ("gender", "Funding source")
    panel = frame([("A", q, t) for q, t in template[:3]] + [("A-24", q, t) for q, t in edited])
    panel["Time"] = ["Time 1"] * 3 + ["Time 2"] * 3
    assert "duplicate" not in set(screen_answers(panel)["status"])
    panel["Time"] = ["2024-03-01 09:14"] * 3 + ["2024-03-09 17:02"] * 3
    assert set(screen_answers(panel).query("status == 'duplicate'")["respondent_id"]) == {"A"}
    panel["Funding source"] = ["County"] * 3 + ["State"] * 3
    assert "duplicate" not in set(screen_answers(panel)["status"])
    # A member who pasted the statement into two answers only, beside one who pasted it and wrote more: two
    answers = frame([("A", q, t) for q, t in template[:2]] + [("B", q, t) for q, t in template[:2]]
                    + [("B", "q7", "Housing first, and a second nurse for the school.")])
    assert "duplicate" not in set(screen_answers(answers)["status"])
    # A third review's: a time point by other names, and years, are occasions; a date written out is a timestamp
    for name, values in (("Time point", ["2023", "2024"]), ("Follow-up month", ["0", "6"]),
                         ("Wave date", ["May", "June"]), ("Survey date", ["2023", "2024"])):
        panel = frame([("A", q, t) for q, t in template[:3]] + [("A-24", q, t) for q, t in edited])
        panel[name] = [values[0]] * 3 + [values[1]] * 3
        assert "duplicate" not in set(screen_answers(panel)["status"]), name
    panel["Date submitted"] = ["March 5, 2024"] * 3 + ["5 Mar 2024"] * 3
    panel = panel.drop(columns=["Survey date"])
    assert set(screen_answers(panel).query("status == 'duplicate'")["respondent_id"]) == {"A"}
    # Thirty respondents who gave the same boilerplate to three questions, every fifth leaving the rest blank: thirty
    boiler = [("data", "We do not share data at this time."), ("funding", "Our funding comes from county grants."),
              ("goals", "Better health for the families we serve.")]
    rows = [(f"R{k:02d}", q, t) for k in range(30) for q, t in boiler]
    rows += [(f"R{k:02d}", "services", f"Service number {k} of ours, run with {k + 3} volunteers every week.")
             for k in range(30) if k % 5]
    answers = frame(rows)
    answers["org_type"] = "Nonprofit CBO"
    assert "duplicate" not in set(screen_answers(answers)["status"])
    # Short answers a word apart are other answers: two hospitals that pasted three statements and named two barriers
    answers = frame([(r, q, t) for r in ("H1", "H2") for q, t in template[:3]]
                    + [("H1", "q7", "Our biggest barrier is funding."),
                       ("H2", "q7", "Our biggest barrier is staffing.")])
    assert "duplicate" not in set(screen_answers(answers)["status"])
    # A template each member filled in with its own words: every answer a word apart is no edit
    filled = {"A": ("transportation", "1200"), "B": ("housing", "800"), "C": ("staffing", "950")}
    answers = frame([(r, q, f"The biggest barrier we face is {barrier}, which limits how many families we reach "
                      f"{q}.") for r, (barrier, _) in filled.items() for q in ("this year", "in winter", "at night")]
                    + [(r, "q9", f"We served about {n} patients at the campus last year.") for r, (_, n) in
                       filled.items()])
    assert "duplicate" not in set(screen_answers(answers)["status"])
    # A form sent twice whose answers are all short is one sent twice, where no one else gave them
    short = [("q1", "Rural clinic vans."), ("q2", "Weekly huddles with nurses."), ("q3", "Shared intake forms.")]
    answers = frame([(r, q, t) for r in ("S900", "S901") for q, t in short])
    assert set(screen_answers(answers).query("status == 'duplicate'")["respondent_id"]) == {"S901"}
    # Eight organisations that sent a coalition's letter word for word are eight, not one sent eight times
    answers = frame([(f"L{k}", q, t) for k in range(8) for q, t in template[:3]])
    assert "duplicate" not in set(screen_answers(answers)["status"])
    # Answers that say nothing are no evidence: one shared answer among placeholders is no resubmission.
    own = {"R1": "Grants end after two years and nobody covers costs.", "R7": "Our partners are honest with us."}
    answers = frame([(r, q, t if q == "q2" else ("N/A" if q != "q1" else own[r])) for r in ("R1", "R7")
                     for q, t in template[:4]])
    assert "duplicate" not in set(screen_answers(answers)["status"])


def test_who_sent_a_submission_decides_where_the_export_says_it():
    """Where an e-mail column says who sent each submission (ingest._senders, a keyed digest): one sender's
    first try, or a type corrected, is read once, the fuller kept; two senders' identical letters are two. The column
    serves the screen alone."""
    from themes.respondents import SENDER

    letter = [("q1", "Funding is short every year and staff keep leaving for the hospital."),
              ("q2", "Better care for every family in the county we serve."), ("q3", "County grants.")]
    answers = frame([("R1", q, t) for q, t in letter[:2]] + [(r, q, t) for r in ("R2", "R3", "R4") for q, t in letter])
    answers["org_type"] = ["Hospital"] * 2 + ["Nonprofit CBO"] * 3 + ["Hospital"] * 6
    answers[SENDER] = ["jo"] * 5 + ["al"] * 3 + ["bo"] * 3
    screened = screen_answers(answers)
    assert SENDER not in screened.columns
    assert set(screened.query("status == 'pending'")["respondent_id"]) == {"R2", "R3", "R4"}
    assert set(screened.loc[screened["respondent_id"] == "R1", "reason"]) == {
        "another submission from the sender of respondent R2 (the same e-mail address in the export): the fuller one "
        "is coded"}
    # A grant writer who sent three clients' answers from one address, in three states: three respondents
    clients = frame([(f"C{k}", q, f"{t} Client {k} of ours, in its own county.") for k in range(3) for q, t in letter])
    clients["state"] = ["NV"] * 3 + ["MN"] * 3 + ["CA"] * 3
    clients[SENDER] = "grants"
    assert "duplicate" not in set(screen_answers(clients)["status"])
    # A coalition's address that sent two partnerships' whole submissions, both Nonprofit CBOs in CA, no answer in
    # common: two respondents (review 144: one was dropped as the other's sent again)
    other = [("q1", "Staff turnover at the clinic slows every referral we make."),
             ("q2", "A shared food pantry for seniors across two towns."), ("q3", "A hospital community grant.")]
    coalition = frame([("K1", q, t) for q, t in letter] + [("K2", q, t) for q, t in other])
    coalition["org_type"], coalition["state"], coalition[SENDER] = "Nonprofit CBO", "CA", "coalition"
    assert "duplicate" not in set(screen_answers(coalition)["status"])
    # one of them a first try left unfinished, the metadata agreeing: one respondent's
    unfinished = frame([("K1", q, t) for q, t in letter] + [("K2", "q1", other[0][1])])
    unfinished["org_type"], unfinished["state"], unfinished[SENDER] = "Nonprofit CBO", "CA", "coalition"
    assert set(screen_answers(unfinished).query("status == 'duplicate'")["respondent_id"]) == {"K2"}
    # a stock sentence in common beside otherwise other answers: still two (review 147: all 8 of one's dropped)
    stock = "We do not share data with partners at this time."
    coalition = frame([("K1", q, t) for q, t in letter] + [("K2", q, t) for q, t in other] + [("K1", "q4", stock),
                                                                                             ("K2", "q4", stock)])
    coalition["org_type"], coalition["state"], coalition[SENDER] = "Nonprofit CBO", "CA", "coalition"
    assert "duplicate" not in set(screen_answers(coalition)["status"])
    # every answer touched up and sent again from the same address, the metadata agreeing: one (review 147)
    touched = frame([("K1", q, t) for q, t in letter] + [("K2", q, t.rstrip(".") + " (edited)") for q, t in letter])
    touched["org_type"], touched["state"], touched[SENDER] = "Nonprofit CBO", "CA", "coalition"
    assert set(screen_answers(touched).query("status == 'duplicate'")["respondent_id"]) == {"K1"}
    answers[SENDER] = ""  # no sender known: R4 is a repeat of R3 (metadata agree), R1 a first try of its own
    assert set(screen_answers(answers).query("status == 'pending'")["respondent_id"]) == {"R1", "R2", "R3"}



def test_respondents_who_answered_only_in_another_language_are_counted_and_said(capsys):
    """Review 152: 12 Spanish-only respondents were outside every count's base, said only as '34 non_english'."""
    from themes.cli import _print_summary
    from themes.status import other_language_only

    answers = pd.DataFrame({"respondent_id": ["R1", "R1", "R2", "R2", "R3", "R3"],
                            "status": ["non_english", "empty", "non_english", "coded", "non_english", "non_english"]})
    assert other_language_only(answers) == (2, 3)  # R2 has an answer coded
    assert other_language_only(answers.assign(status="coded")) == (0, 0)

    _print_summary({"accounting": {"input_answers": 6, "non_english": 4}, "other_language_only": (2, 3),
                    "counts": [], "framework": [], "out": "out", "files": []})
    assert ("2 respondents answered only in another language (3 answers, status non_english): none is coded, so they "
            "are in no count's base. Code them with --languages (e.g. en,es) and a multilingual --model.") \
        in capsys.readouterr().out.splitlines()


def test_the_screen_in_a_pool_of_processes_gives_the_same_statuses():
    """On a 16-core GPU machine, screening 100k answers took most of 30 s on one core while the card waited."""
    rows = []
    for r in range(60):
        rows += [(f"R{r}", "q1", f"We trust our partners after {r} years of working together."),
                 (f"R{r}", "q2", ["   ", "N/A", "...", None, float("nan")][r % 5]),
                 (f"R{r}", "q3", SPANISH if r % 7 == 0 else LONG),
                 (f"R{r}", "q4", f"we trust our partners after {r} years of working together!" if r % 4 == 0 else
                  f"<p>Funding from the county, round {r}.</p>")]
    answers = frame(rows)
    alone = screen_answers(answers, max_words=10, processes=1)
    pooled = screen_answers(answers, max_words=10, processes=2)
    pd.testing.assert_frame_equal(pooled, alone)
    from themes.status import _screen_texts

    # The pool ran (its workers judge the language; the run's own process leaves that for later), not a fallback
    judged = _screen_texts(list(answers["answer_raw"]), frozenset(), ("en",), 2)[2]
    assert any(flag is not None for flag in judged)
    assert {"empty", "non_answer", "duplicate", "non_english", "too_long", "pending"} <= set(alone["status"])


def test_a_pool_that_cannot_start_leaves_the_screen_to_this_process(monkeypatch):
    import joblib

    def no_pool(*args, **kwargs):
        raise OSError("no process to be had")

    monkeypatch.setattr(joblib, "Parallel", no_pool)
    answers = frame([("A", "q1", SPANISH), ("A", "q2", LONG), ("B", "q1", "N/A")])
    pd.testing.assert_frame_equal(screen_answers(answers, max_words=10, processes=4),
                                  screen_answers(answers, max_words=10, processes=1))


@pytest.mark.parametrize(("answers", "cores", "processes"), [
    (100_000, 2, 1), (100_000, 3, 1),  # the model and the helpers have the other core
    (19_999, 16, 1),  # a pool's start costs more than it saves
    (20_000, 4, 3), (100_000, 16, 8), (100_000, 64, 8),
])
def test_the_screen_uses_a_pool_only_for_large_exports_on_larger_machines(answers, cores, processes):
    from themes.status import screen_processes

    assert screen_processes(answers, cores) == processes


ANSWERS_OF_R020 = {
    "goals": "Expand the community health worker program to every county clinic we partner with.",
    "challenges": "Funding is short-term and tied to pilots, so staff turn over every grant cycle.",
    "data": "We share referral outcomes monthly through a spreadsheet the hospital set up for us.",
    "success": "Weekly huddles between our case managers and the hospital social workers.",
}


def _resubmitted(edits: dict[str, str], state: str = "CA", other_id: str = "R020~2") -> pd.DataFrame:
    rows = [("R020", q, t) for q, t in ANSWERS_OF_R020.items()]
    rows += [(other_id, q, edits.get(q, t)) for q, t in ANSWERS_OF_R020.items()]
    rows += [("R021", "goals", "Open a second food pantry on the east side of town next year.")]
    answers = frame(rows)
    answers["state"] = ["CA"] * 4 + [state] * 4 + ["CA"]
    return answers


def test_the_same_id_sent_again_with_answers_rewritten_is_one_respondent():
    """R020 sent again with its goals rewritten (or two answers touched up) was read as R020 and R020~2, both
    coded: 80 respondents where there were 79 (review 165)."""
    for edits in ({"goals": "Train peer navigators who speak the languages our families speak at home."},
                  {"goals": "Expand the comunity health worker program to every county clinic we partner with.",
                   "data": "We share referral outcomes monthly through a spreadsheet the hospital set up for us. "
                           "The county reads it too."}):
        screened = screen_answers(_resubmitted(edits))
        coded = screened[screened["status"] == "pending"]
        assert coded["respondent_id"].nunique() == 2  # R020 (one version of it) and R021
        dropped = screened[screened["status"] == "duplicate"]
        assert dropped["respondent_id"].nunique() == 1 and len(dropped) == 4
        assert dropped["reason"].str.startswith("another version of the submission of respondent R020").all() or \
            dropped["reason"].str.startswith("another version of the submission of respondent R020~2").all()
        assert dropped["reason"].str.contains("the same id in the export").all()


def test_the_same_id_with_other_metadata_and_other_answers_stays_two_respondents():
    # ids that restart in each batch of an export: two organisations, each their own answers
    others = {q: f"Answer {k} of another organisation entirely, about its own county and its own partners."
              for k, q in enumerate(ANSWERS_OF_R020)}
    screened = screen_answers(_resubmitted(others, state="WA"))
    assert (screened["status"] == "pending").all()


def test_one_ids_two_versions_are_one_respondent_beside_another_organisations_fuller_one():
    """R020 of organisation A sent twice with its goals rewritten, and R020 of organisation B (another batch's
    numbering, more words): each version was compared with B's alone, so A was counted twice (review 166)."""
    others = {q: f"Answer {k} of another organisation entirely, about its own county, its own partners and the long "
                 "list of programs it runs with them." for k, q in enumerate(ANSWERS_OF_R020)}
    answers = frame([("R020", q, t) for q, t in ANSWERS_OF_R020.items()]
                    + [("R020~2", q, {"goals": "Train peer navigators who speak the languages our families speak."}
                        .get(q, t)) for q, t in ANSWERS_OF_R020.items()]
                    + [("R020~3", q, t) for q, t in others.items()])
    answers["state"] = ["CA"] * 8 + ["WA"] * 4
    screened = screen_answers(answers)
    coded = screened[screened["status"] == "pending"]
    assert sorted(coded["respondent_id"].unique()) in (["R020", "R020~3"], ["R020~2", "R020~3"])
    dropped = screened[screened["status"] == "duplicate"]
    assert dropped["respondent_id"].nunique() == 1 and dropped["respondent_id"].iloc[0] in ("R020", "R020~2")
    assert not dropped["reason"].str.contains("R020~3").any()


def test_one_id_for_two_organisations_that_share_no_answer_stays_two_respondents():
    """Ids that restart in each batch: R020 of batch 2 (two answers, none alike) was read as a first try of batch 1's
    R020 and its answers dropped (review 166)."""
    answers = frame([("R020", q, t) for q, t in ANSWERS_OF_R020.items()] + [
        ("R020~2", "goals", "Open a mobile dental clinic that visits the farmworker camps every summer."),
        ("R020~2", "data", "We keep paper sign-in sheets and send a quarterly summary to the health department.")])
    screened = screen_answers(answers)
    assert (screened["status"] == "pending").all()
    from themes.status import _screen_texts

    assert _screen_texts([], frozenset(), ("en",), 2) == ([], [], [])  # no zero-step chunks in a pool
