"""Two exports of the sample survey as a stranger would hand them over: a workbook that opens with a
"Read me" sheet and titles its columns as an RFI does, and a long CSV (one row per answer)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_rfi" / "responses.csv"
# The sample's questions as an RFI export titles them.
QUESTIONS = {"effective_practices": "Q4. What has made this partnership effective?",
             "challenges": "Q5. What challenges hold the partnership back?",
             "community_engagement": "Q6. How does the partnership engage the community?"}
RESPONDENTS = 45


def sample(n: int = RESPONDENTS) -> pd.DataFrame:
    return pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).head(n)


def write_batch_xlsx(tmp_path: Path) -> Path:
    """A workbook as exported for evaluators: a "Read me" sheet first, then the answers."""
    table = sample().rename(columns={"respondent_id": "Submission ID", "org_type": "Organization category",
                                     "state": "State / territory", **QUESTIONS})
    table = table[["Submission ID", "Organization category", "State / territory", *QUESTIONS.values()]]
    path = tmp_path / "batch.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"About this export": [
            "This workbook holds the answers to the partnership RFI received up to 30 June.",
            "One row per submission; the questions are in the column headers.",
            "Contact the evaluation team with questions about the data."]}).to_excel(
            writer, sheet_name="Read me", index=False)
        table.to_excel(writer, sheet_name="Responses", index=False)
    return path


def write_long_csv(tmp_path: Path) -> Path:
    """The same answers exported long: one row per (respondent, question), blank answers left out."""
    codes = {"effective_practices": "Q4", "challenges": "Q5", "community_engagement": "Q6"}
    table = sample().melt(id_vars=["respondent_id"], value_vars=list(codes), var_name="item_code",
                          value_name="response_text")
    table = table[table["response_text"].str.strip() != ""]
    table["item_code"] = table["item_code"].map(codes)
    table = table.rename(columns={"respondent_id": "resp_id"}).sort_values(["resp_id", "item_code"])
    path = tmp_path / "long.csv"
    table[["resp_id", "item_code", "response_text"]].to_csv(path, index=False)
    return path
