"""The one rule for a roster that would retire many people at once (a partial file, the wrong file)."""
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class MassRetire:
    """A planned roster import retiring more than the allowed share of the staff active now."""

    retiring: int
    active: int
    limit: float  # the share of active staff above which someone must confirm (0.2 = 20 %)

    @property
    def percent(self) -> int:
        """The share retired, in whole percent as people read it (never shown as 0 % or 100 % when it is not)."""
        exact = 100 * self.retiring / self.active
        return max(1, min(99, round(exact))) if 0 < exact < 100 else round(exact)

    @property
    def limit_percent(self) -> str:
        """The configured limit as people read it: "20", or "12.5" when it is not whole."""
        return f"{self.limit * 100:g}"


def mass_retire(plan, active: int, limit: float) -> MassRetire | None:
    """The guard for a planned import, or None when it retires no more than `limit` of `active` staff."""
    retiring = plan.counts.get("retired", 0) if plan.kind == "staff" else 0
    # Strictly more than the share: at 20 %, retiring exactly 1 in 5 needs no extra step. Fractions, because
    # 0.2 as a float is not 1/5, and the boundary must be where the admin wrote it.
    if retiring == 0 or active == 0 or Fraction(retiring, active) <= Fraction(str(limit)):
        return None
    return MassRetire(retiring=retiring, active=active, limit=limit)


def active_staff(db) -> int:
    """How many people are active (not retired) on file now, the base the share is taken of."""
    return db.execute("SELECT count(*) FROM staff WHERE retired_at IS NULL").fetchone()[0]


def check(db, plan, limit: float) -> MassRetire | None:
    """mass_retire() against the staff on file now; the CLI and the import screen both ask this."""
    if plan.kind != "staff":
        return None
    return mass_retire(plan, active_staff(db), limit)
