"""One-at-a-time scoring against the authors' rules, written out independently here."""

import itertools

import pytest

from touchstone.science.instruments import AnswerError, load_instrument, score


def gad7_by_hand(answers):
    """Spitzer et al. 2006 (instruments.md 1.3 [Spitzer-2006]): sum of 7 items 0-3;
    0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe."""
    total = 0
    for a in answers:
        total = total + a
    if total <= 4:
        return total, "minimal"
    if total <= 9:
        return total, "mild"
    if total <= 14:
        return total, "moderate"
    return total, "severe"


def test_it_scores_every_gad7_answer_pattern_as_the_authors_do():
    gad7 = load_instrument("gad7")
    patterns = list(itertools.product(range(4), repeat=7))
    assert len(patterns) == 16_384  # 4^7
    for pattern in patterns:
        result = score(gad7, list(pattern))
        assert (result.total, result.severity) == gad7_by_hand(pattern), pattern
        assert result.alert == (result.total >= 15)  # instruments.md 2.3: GAD-7 >= 15 review
        assert result.risk_flags == ()


def test_it_scores_every_phq2_answer_pattern_as_the_authors_do():
    # [Hindawi-PHQ2], [Arroll-2010]: sum 0-6, >= 3 positive screen, >= 2 sensitive cut.
    phq2 = load_instrument("phq2")
    for a, b in itertools.product(range(4), repeat=2):
        result = score(phq2, [a, b])
        assert result.total == a + b
        assert result.severity == ("positive screen" if a + b >= 3 else "negative screen")
        assert result.cutoffs == {"sensitive_screen": a + b >= 2}


def test_it_scores_the_us_core_phq9_example_as_12_moderate():
    # QuestionnaireResponse-phq-9-example.json (HL7 US Core) reports total 12;
    # 10-14 is "moderate" [Kroenke-2001].
    result = score(load_instrument("phq9"), [2, 2, 2, 2, 1, 1, 2, 0, 0])
    assert (result.total, result.severity, result.computable) == (12, "moderate", True)


@pytest.mark.parametrize(
    ("total", "label", "alert"),
    [(0, "minimal", False), (4, "minimal", False), (5, "mild", False), (9, "mild", False),
     (10, "moderate", False), (14, "moderate", False), (15, "moderately severe", False),
     (19, "moderately severe", False), (20, "severe", True), (27, "severe", True)],
)  # fmt: skip
def test_it_puts_phq9_band_edges_where_kroenke_2001_does(total, label, alert):
    # [Kroenke-2001]: cut points 5/10/15/20; instruments.md 2.3: >= 20 raises review.
    answers = [min(3, max(0, total - 3 * i)) for i in range(9)]
    assert sum(answers) == total
    result = score(load_instrument("phq9"), answers)
    assert (result.severity, result.alert) == (label, alert)


def test_it_flags_item_9_even_when_the_total_is_not_computable():
    # DESIGN.md: a positive suicide-risk item (PHQ-9 item 9 > 0) always raises an alert.
    result = score(load_instrument("phq9"), {"phq9-9": 1})
    assert result.computable is False
    assert result.total is None
    assert result.risk_flags == ("phq9-9",)


def test_it_never_reports_an_incomplete_phq9_as_zero():
    result = score(load_instrument("phq9"), [0, 0, 0, 0, 0, 0, 0, 0, None])
    assert result.total is None
    assert result.severity is None
    assert "phq9-9" in result.reason
    assert result.risk_unknown == ("phq9-9",)  # a missing risk item is never imputed


def test_it_does_not_flag_item_9_answered_not_at_all():
    result = score(load_instrument("phq9"), [3] * 8 + [0])
    assert result.risk_flags == ()
    assert result.total == 24


def test_it_accepts_answers_by_link_id_loinc_code_position_and_answer_code():
    phq9 = load_instrument("phq9")
    by_order = score(phq9, [1, 2, 3, 0, 1, 2, 3, 0, 1])
    by_link = score(phq9, {f"phq9-{i + 1}": v for i, v in enumerate([1, 2, 3, 0, 1, 2, 3, 0, 1])})
    codes = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
             "44253-3", "44260-8"]  # fmt: skip  # instruments.md 1.1 LOINC item codes
    by_code = score(phq9, dict(zip(codes, [1, 2, 3, 0, 1, 2, 3, 0, 1], strict=True)))
    by_position = score(phq9, {i + 1: v for i, v in enumerate([1, 2, 3, 0, 1, 2, 3, 0, 1])})
    # LA6569-3 = 1, LA6570-1 = 2, LA6571-9 = 3, LA6568-5 = 0 (instruments.md 5)
    la = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
    by_answer_code = score(phq9, [la[v] for v in [1, 2, 3, 0, 1, 2, 3, 0, 1]])
    totals = {r.total for r in (by_order, by_link, by_code, by_position, by_answer_code)}
    assert totals == {13}


def test_it_ignores_the_unscored_difficulty_item_in_the_total():
    phq9 = load_instrument("phq9")
    with_difficulty = score(phq9, [1] * 9 + ["LA6574-3"])  # Extremely difficult
    assert with_difficulty.total == 9
    assert with_difficulty.answers["phq9-difficulty"] == 3


@pytest.mark.parametrize(
    "answers",
    [[0] * 8, [0] * 11, [0] * 8 + [4], [0] * 8 + [-1], [0] * 8 + ["often"], [0] * 8 + [1.5],
     [0] * 8 + [True], {"phq9-99": 1}, {0: 1}, "000000000"],
)  # fmt: skip
def test_it_rejects_invalid_answers_instead_of_scoring_them(answers):
    with pytest.raises(AnswerError):
        score(load_instrument("phq9"), answers)


def test_it_reverse_scores_pss10_items_4_5_7_8():
    # [CMU-PSS]: items 4, 5, 7, 8 reversed (0<->4, 1<->3); sum 0-40.
    pss = load_instrument("pss10")
    all_zero = score(pss, [0] * 10)
    assert all_zero.total == 4 * 4
    assert all_zero.severity is None  # Cohen gives no bands; none are invented
    assert score(pss, [4, 4, 4, 0, 0, 4, 0, 0, 4, 4]).total == 40


def test_it_scores_epds_and_flags_item_10():
    # [clincalc-EPDS]: sum 0-30; >= 13 probable depression; item 10 > 0 -> risk.
    epds = load_instrument("epds")
    result = score(epds, [0] * 9 + [1])
    assert (result.total, result.risk_flags) == (1, ("epds-10",))
    # Item 10 is reverse-keyed on the form: its first option (a) scores 3 [clincalc-EPDS].
    assert score(epds, [0] * 9 + ["a"]).item_scores["epds-10"] == 3
    assert score(epds, [1] * 9 + ["d"]).risk_flags == ()
    assert score(epds, [2] * 6 + [1, 0, 0, 0]).severity == "probable depression"


def test_it_reports_who5_raw_and_percentage():
    # [valant], [WHO5-HQLO]: raw 0-25, percentage = raw x 4; raw < 13 poor well-being.
    result = score(load_instrument("who5"), [3, 3, 2, 2, 2])
    assert result.total == 12
    assert result.transforms == {"percentage": 48.0}
    assert result.severity == "poor well-being"


def test_it_scores_mrs_and_waisr_subscales():
    # [MRS-eval]: somatic 1,2,3,11; psychological 4-7; urogenital 8-10.
    mrs = score(load_instrument("mrs"), [1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4])
    assert mrs.subscales == {"somatic": 7, "psychological": 8, "urogenital": 9}
    assert mrs.total == 24
    # [LC-WAI]: Task 1,2,10,12; Bond 3,5,7,9; Goal 4,6,8,11; range 12-60.
    wai = score(load_instrument("waisr"), [5, 5, 1, 3, 1, 3, 1, 3, 1, 5, 3, 5])
    assert wai.subscales == {"task": 20, "bond": 4, "goal": 12}
    missing = score(load_instrument("waisr"), [5, 5, None] + [1] * 9)
    assert missing.subscales["bond"] is None
    assert missing.subscales["task"] == 12


def test_it_scores_session_ratings_without_bands():
    result = score(load_instrument("rating-tension"), [7])
    assert (result.total, result.severity) == (7, None)
    with pytest.raises(AnswerError):
        score(load_instrument("rating-tension"), [11])
