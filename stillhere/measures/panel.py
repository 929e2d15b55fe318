"""What the measures section of a client page shows, gathered in one place
so the page, the htmx refreshes and the entry form all render the same thing.

The caller has already checked the member may see the client; results are
further limited to episodes the member can see (a clinician does not see
scores from a colleague's earlier episode with the same client).
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils import timezone

from stillhere.accounts.permissions import visible_episodes

from .alerts import alert_points, current_alerts
from .chart import build_chart
from .checkins import checkin_statuses
from .custom import config_for
from .instruments import population_at
from .models import CheckinInterval, MeasureResult


@dataclass
class EntryForm:
    """The end-of-session rating form: plain state, since its items depend
    on the instrument chosen."""

    instrument: object
    taken_on: date
    values: dict = field(default_factory=dict)   # item1..itemN, total, as typed
    errors: dict = field(default_factory=dict)   # field name -> message

    @property
    def fields(self):
        inst = self.instrument
        return [{"name": f"item{it.number}", "item": it, "value": self.values.get(f"item{it.number}", ""),
                 "error": self.errors.get(f"item{it.number}", "")} for it in inst.items]

    @property
    def error_list(self) -> list[str]:
        return list(self.errors.values())


def client_results(membership, client):
    eps = visible_episodes(membership).filter(client=client).values("id")
    return list(MeasureResult.objects.filter(client=client).filter(Q(episode_id__in=eps) | Q(episode__isnull=True))
                .order_by("taken_on", "id"))


def panel_context(membership, client, *, form: EntryForm | None = None, message: str = "",
                  interval_error: str = "", checkin_error: str = "", now=None) -> dict:
    now = now or timezone.now()
    practice = client.practice
    cfg = config_for(practice)
    today = now.astimezone(practice.tz).date()
    population = population_at(client.birth_date, today)
    results = client_results(membership, client)
    kw = dict(registry=cfg.registry, settings=cfg.alerts, population=population)
    alerts = current_alerts(results, **kw)
    points = alert_points(results, **kw)

    charts = []
    for inst in cfg.registry:
        series = [r for r in results if cfg.registry.get(r.instrument) is inst]
        if series:
            charts.append(build_chart(inst, series, [a for a in points if a.instrument == inst.code], population))

    open_eps = visible_episodes(membership).filter(client=client, ended__isnull=True).order_by("-started")
    statuses = checkin_statuses(open_eps[:1], now, practice, cfg)
    checkin = next(iter(statuses.values()), None)
    own = CheckinInterval.objects.filter(client=client).first()
    default = cfg.registry.get("SRS") or next(iter(cfg.registry))
    return {
        "client": client,
        "alerts": alerts,
        "charts": charts,
        "result_count": len(results),
        "checkin": checkin,
        "checkin_reason": checkin.reason(practice.tz) if checkin else "",
        "own_interval": own,
        "practice_every": cfg.checkin_every,
        "interval_choices": list(range(1, cfg.checkin_every)),
        "interval_error": interval_error,
        "checkin_error": checkin_error,
        "instruments": list(cfg.registry),
        "form": form or EntryForm(instrument=default, taken_on=today),
        "today": today,
        "message": message,
    }
