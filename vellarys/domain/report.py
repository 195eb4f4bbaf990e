"""The managers' report: a period, its figures, the brokers' ranking, and the same report as
rows for the CSV, Excel and PDF exports. Pure: figures come in, tables go out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from vellarys.domain.budget import format_brl
from vellarys.domain.glossary import STAGE_LABELS
from vellarys.domain.lead_source import label as source_label

PRESETS = {"today": "Hoje", "7d": "Últimos 7 dias", "30d": "Últimos 30 dias", "month": "Este mês"}
DEFAULT_PRESET = "30d"
MAX_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
VISIT_LABELS = {
    "booked": "Marcadas",
    "upcoming": "A realizar",
    "done": "Realizadas",
    "no_show": "Não compareceu",
    "cancelled": "Canceladas",
}
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date  # included
    preset: str | None = None

    @property
    def label(self) -> str:
        if self.first == self.last:
            return f"{self.first:%d/%m/%Y}"
        return f"{self.first:%d/%m/%Y} a {self.last:%d/%m/%Y}"

    @property
    def month(self) -> date | None:
        """The month the period lies in, when it lies in one (its goals apply)."""
        same = (self.first.year, self.first.month) == (self.last.year, self.last.month)
        return self.first.replace(day=1) if same else None


def period(preset: str | None, first: str | None, last: str | None, *, today: date) -> Period:
    """The period asked for: explicit dates win over a preset; ``ValueError`` in Portuguese."""
    if first or last:
        try:
            start = date.fromisoformat(first or last or "")
            end = date.fromisoformat(last or first or "")
        except ValueError as exc:
            raise ValueError("Datas inválidas: use o formato AAAA-MM-DD.") from exc
        if end < start:
            raise ValueError("A data final vem antes da inicial.")
        if start < EARLIEST or end > LATEST:
            raise ValueError(f"Escolha datas entre {EARLIEST.year} e {LATEST.year}.")
        if (end - start).days >= MAX_DAYS:
            raise ValueError(f"Escolha um período de até {MAX_DAYS} dias.")
        return Period(start, end)
    chosen = preset or DEFAULT_PRESET
    if chosen not in PRESETS:
        raise ValueError("Período desconhecido: use " + ", ".join(PRESETS) + ".")
    days = {"today": 0, "7d": 6, "30d": 29}
    start = today.replace(day=1) if chosen == "month" else today - timedelta(days=days[chosen])
    return Period(start, today, chosen)


@dataclass(frozen=True, slots=True)
class RankRow:
    name: str
    won: int
    won_value: Decimal
    visits_done: int
    handoffs: int
    median_answer_seconds: float | None
    goal_won: int | None = None
    goal_visits: int | None = None
    user_id: uuid.UUID | None = None


GOAL_LABELS = {"leads": "Novos leads", "visits": "Visitas realizadas", "won": "Negócios ganhos"}


@dataclass(frozen=True, slots=True)
class GoalProgress:
    """One of the agency's monthly goals: how far the month's figure has got."""

    key: str
    label: str
    value: int
    goal: int

    @property
    def percent(self) -> float | None:
        """Share of the goal reached (may pass 100); none for a goal of zero."""
        return round(100 * self.value / self.goal, 1) if self.goal else None


def progress(goal: dict[str, int] | None, figures: dict[str, int]) -> list[GoalProgress]:
    """Each goal (``GOAL_LABELS`` keys) against the month's figure; nothing without a goal."""
    if goal is None:
        return []
    return [GoalProgress(k, label, figures.get(k, 0), goal[k]) for k, label in GOAL_LABELS.items()]


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%".replace(".", ",")


def ranked(rows: list[RankRow]) -> list[RankRow]:
    """Most deals won first, then most visits done, then the quickest to answer a handoff."""
    slowest = float("inf")
    return sorted(
        rows,
        key=lambda r: (
            -r.won,
            -r.visits_done,
            r.median_answer_seconds if r.median_answer_seconds is not None else slowest,
            r.name,
        ),
    )


@dataclass(frozen=True, slots=True)
class Report:
    agency: str
    period: Period
    leads: int
    by_source: list[tuple[str, int]]
    by_stage: list[tuple[str, int]]
    by_broker: list[tuple[str, int]]
    visits: dict[str, int]
    first_response_median: float | None
    first_response_p90: float | None
    won_leads: int
    won_deals: int
    won_value: Decimal
    ranking: list[RankRow] = field(default_factory=list)
    agency_goal: list[GoalProgress] = field(default_factory=list)

    @property
    def conversion(self) -> float | None:
        """Share of the period's new leads that are won (percent)."""
        return round(100 * self.won_leads / self.leads, 1) if self.leads else None


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.0f} min"
    hours, rest = divmod(round(minutes), 60)
    return f"{hours} h {rest:02d}"


Cell = str | int | float
Table = tuple[str, list[str], list[list[Cell]]]  # title, header, rows


def tables(report: Report) -> list[Table]:
    """The report as titled tables: what the page shows and every export writes."""
    r = report
    conversion = percent_text(r.conversion)
    summary: list[list[Cell]] = [
        ["Período", r.period.label],
        ["Novos leads", r.leads],
        ["Leads ganhos", r.won_leads],
        ["Conversão (ganhos / novos leads)", conversion],
        ["Negócios ganhos", r.won_deals],
        ["Valor ganho", format_brl(r.won_value)],
        ["Primeira resposta (mediana)", duration(r.first_response_median)],
        ["Primeira resposta (90% até)", duration(r.first_response_p90)],
    ]
    visits: list[list[Cell]] = [[VISIT_LABELS[k], r.visits.get(k, 0)] for k in VISIT_LABELS]
    ranking = [_rank_cells(place, row) for place, row in enumerate(r.ranking, 1)]
    goal: list[Table] = []
    if r.agency_goal:
        cells: list[list[Cell]] = [
            [g.label, g.value, g.goal, percent_text(g.percent)] for g in r.agency_goal
        ]
        goal = [("Meta da imobiliária", ["Indicador", "Realizado", "Meta", "%"], cells)]
    return [
        (f"Resumo — {r.agency}", ["Indicador", "Valor"], summary),
        ("Leads por origem", ["Origem", "Leads"], [[source_label(s), n] for s, n in r.by_source]),
        (
            "Leads por etapa",
            ["Etapa", "Leads"],
            [[STAGE_LABELS.get(s, s), n] for s, n in r.by_stage],
        ),
        ("Leads por corretor", ["Corretor", "Leads"], [[b, n] for b, n in r.by_broker]),
        ("Visitas", ["Situação", "Visitas"], visits),
        ("Ranking de corretores", RANK_HEADER, ranking),
        *goal,
    ]


RANK_HEADER = [
    "#",
    "Corretor",
    "Ganhos",
    "Meta ganhos",
    "Visitas realizadas",
    "Meta visitas",
    "Repasses",
    "Resposta (mediana)",
    "Valor ganho",
]


def _goal(value: int | None) -> Cell:
    return "—" if value is None else value


def _rank_cells(place: int, row: RankRow) -> list[Cell]:
    return [
        place,
        row.name,
        row.won,
        _goal(row.goal_won),
        row.visits_done,
        _goal(row.goal_visits),
        row.handoffs,
        duration(row.median_answer_seconds),
        format_brl(row.won_value),
    ]


def safe_cell(value: Cell) -> Cell:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
