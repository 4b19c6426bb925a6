"""Shared fixtures: a tiny valid codebook, the tiny survey export, and the fast fake embedder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from themes.codebook import Codebook, load_codebook
from themes.embed import HashingEmbedder

ROOT = Path(__file__).resolve().parents[1]
# Pseudonyms from a fixed key: the tests never write the user's key file (test_quotes makes one in a tmp folder).
os.environ.setdefault("THEMES_PSEUDONYM_KEY", "tests-only-key")
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Two independent themes and one dimension whose two types exclude each other. Flattened ids:
# trust, funding, service.referral, service.joint (in this order).
TINY_CODEBOOK_YAML = """\
name: Tiny codebook
version: 1
description: Two themes and one dimension, for tests.
themes:
  - id: trust
    label: Trust and relationships
    definition: Trust, honesty and respect between partner organizations.
    examples:
      - Trust between our directors, built over ten years.
      - Our partners are honest when things go wrong.
      - A champion on the hospital side made it happen.
  - id: funding
    label: Funding needs
    definition: Money, staff and capacity as a need or barrier.
    examples:
      - Grants end after two years.
      - Nobody covers ongoing costs.
      - We cannot keep staff.
dimensions:
  - id: service
    label: Service model
    types:
      - id: referral
        label: Referral
        definition: Partners refer clients to each other's services.
        examples:
          - We send clients to the food bank.
          - The clinic refers patients to our housing program.
      - id: joint
        label: Joint
        definition: Co-located or jointly staffed services.
        examples:
          - Our case managers work inside the clinic.
          - The services are staffed by both partners together.
"""


@pytest.fixture
def tiny_codebook_path(tmp_path: Path) -> Path:
    path = tmp_path / "tiny_codebook.yaml"
    path.write_text(TINY_CODEBOOK_YAML, encoding="utf-8")
    return path


@pytest.fixture
def tiny_codebook(tiny_codebook_path: Path) -> Codebook:
    return load_codebook(tiny_codebook_path)


@pytest.fixture
def tiny_responses_path() -> Path:
    """Five respondents (R1-R5), org_type and state, three free-text questions."""
    return FIXTURES / "tiny_responses.csv"


@pytest.fixture(scope="session")
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect server for the whole session (it takes ~15 s to start on a busy machine)."""
    import os

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
