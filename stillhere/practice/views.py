"""Settings pages for directors and admins: the practice, engagement,
outreach, the outreach plan and measures. Thin views: forms validate, the
models and services that the tick, the scan and the import read are what
get saved, and every change is audited with its old and new value."""

import tomlkit
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from stillhere.accounts.models import Membership
from stillhere.accounts.permissions import get_client_or_404
from stillhere.audit.events import ClientListViewed, ClientViewed, SettingsChanged, record
from stillhere.measures import custom
from stillhere.measures.alerts import AlertSettings
from stillhere.outreach import templating
from stillhere.outreach.models import CadencePolicy, OutreachSettings
from stillhere.outreach.policies import DEFAULT_PLAN, save_policy
from stillhere.outreach.words import CHANNEL_NAMES, TEMPLATE_NAMES, template_name

from . import forms as f
from .access import director_required
from .changes import save_audited

SECTIONS = (
    ("practice:settings", "The practice", "Name, the name clients' households see, letters and links."),
    ("practice:engagement", "Missed sessions and going quiet", "The waiting period and when a client has gone quiet."),
    ("practice:outreach", "Outreach", "Quiet hours, pacing and safety escalation."),
    ("practice:plan", "Outreach plan", "Which contacts, on which days, by which means."),
    ("practice:measures", "Questionnaires and check-ins", "Alert thresholds and how often to check in."),
    ("practice:templates", "Message wording", "The words of each message, per channel."),
    ("practice:people", "People", "Invite colleagues, change roles, deactivate."),
)


@director_required
def index(request):
    return render(request, "practice/index.html", {"sections": SECTIONS})


@director_required
def practice_settings(request):
    p = request.membership.practice
    prefs = OutreachSettings.for_practice(p)
    own = ("name", "timezone", "require_two_step")
    theirs = ("sender_name", "return_address", "practice_phone", "how_to_reach", "public_url", "booking_url",
              "crisis_line")
    initial = {k: getattr(p, k) for k in own} | {k: getattr(prefs, k) for k in theirs}
    form = f.PracticeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        save_audited(request, "practice", [(p, {k: d[k] for k in own}), (prefs, {k: d[k] for k in theirs})])
        messages.success(request, "Practice settings saved.")
        return redirect("practice:settings")
    return render(request, "practice/form.html", {
        "form": form, "title": "The practice",
        "explain": "Who the practice is to its team and to clients' households, and where letters and links "
                   "point. Nothing here may say “therapy”: envelopes, texts and voicemails are seen by others."})


@director_required
def engagement_settings(request):
    p = request.membership.practice
    fields = ("waiting_days", "lapse_factor", "outcome_days", "long_silence_days", "age_in_noshow_risk")
    form = f.EngagementForm(request.POST or None, initial={k: getattr(p, k) for k in fields})
    if request.method == "POST" and form.is_valid():
        # A field left empty keeps its value (outcome_days and long_silence_days
        # are optional on the form).
        save_audited(request, "engagement", [(p, {k: form.cleaned_data[k] for k in fields
                                                  if form.cleaned_data[k] is not None})])
        messages.success(request, "Saved. The next scan and the next import use the new values.")
        return redirect("practice:engagement")
    return render(request, "practice/form.html", {
        "form": form, "title": "Missed sessions and going quiet", "glossary": "waiting-period",
        "explain": "How long stillhere waits after a missed session before suggesting you reach out, how "
                   "long a silence with nothing booked counts as “gone quiet”, and after how long a silence "
                   "a client's return is a new episode.",
    })


@director_required
def outreach_settings(request):
    prefs = OutreachSettings.for_practice(request.membership.practice)
    fields = list(f.OutreachSettingsForm.base_fields)
    form = f.OutreachSettingsForm(request.POST or None, initial={k: getattr(prefs, k) for k in fields})
    if request.method == "POST" and form.is_valid():
        save_audited(request, "outreach", [(prefs, {k: form.cleaned_data[k] for k in fields})])
        messages.success(request, "Outreach settings saved.")
        return redirect("practice:outreach")
    return render(request, "practice/form.html", {
        "form": form, "title": "Outreach", "glossary": "quiet-hours",
        "explain": "When messages may go out and how far apart, and when an unresolved safety check goes to "
                   "the director."})


# --- the outreach plan -------------------------------------------------------

def _scope(request, clinician_id=None, client_code=None):
    """(who the plan is for in words, clinician, client) for the URL."""
    p = request.membership.practice
    if client_code:
        client = get_client_or_404(request.membership, client_code)
        return f"{client.display_name} only", None, client
    if clinician_id:
        try:
            c = p.members.get(pk=clinician_id, role=Membership.Role.CLINICIAN)
        except Membership.DoesNotExist:
            raise Http404("No such clinician.")
        return f"{c.name}'s clients", c, None
    return "the whole practice", None, None


def _current_policy(p, clinician, client):
    q = CadencePolicy.objects.filter(practice=p, clinician=clinician if client is None else None, client=client)
    return q.first()


def _initial_rows(steps, auto):
    rows = []
    for s in steps:
        kind = s["key"].rpartition("_")[0] if s["key"].rpartition("_")[2].isdigit() else s["key"]
        ch = list(s["channels"]) + ["", ""]
        rows.append({"kind": kind if kind in dict(f.KINDS) else "message", "days": s["days"], "first": ch[0],
                     "second": ch[1], "third": ch[2], "template": s["template"], "auto": s["key"] in auto})
    return rows


def _steps_from(formset, practice) -> tuple[list[dict], set[str], list[str]]:
    """The plan the forms describe, the keys to send automatically, and any
    wording that does not exist for a chosen channel."""
    rows = [x for x in formset.forms if x.cleaned_data and not x.cleaned_data.get("remove")
            and (x.has_changed() or x.initial)]
    rows.sort(key=lambda x: x.cleaned_data["days"])
    steps, auto, problems, seen = [], set(), [], {}
    for x in rows:
        d = x.cleaned_data
        seen[d["kind"]] = seen.get(d["kind"], 0) + 1
        key = d["kind"] if seen[d["kind"]] == 1 else f"{d['kind']}_{seen[d['kind']]}"
        for ch in x.channels():
            try:
                templating.load(practice, d["template"], ch)
            except templating.TemplateMissing:
                problems.append(f"“{template_name(d['template'])}” has no wording "
                                f"for a {CHANNEL_NAMES[ch]} yet (day {d['days']}). Choose other wording, another "
                                "way to reach the client, or write that wording first.")
        steps.append({"key": key, "days": d["days"], "channels": x.channels(), "template": d["template"]})
        if d.get("auto"):
            auto.add(key)
    return steps, auto, problems


@director_required
def plan(request, clinician_id=None, client_code=None):
    p = request.membership.practice
    who, clinician, client = _scope(request, clinician_id, client_code)
    prefs = OutreachSettings.for_practice(p)
    policy = _current_policy(p, clinician, client)
    steps = policy.steps if policy else DEFAULT_PLAN
    practice_level = clinician is None and client is None
    formset = f.StepFormSet(request.POST or None, initial=_initial_rows(steps, prefs.auto_send), prefix="step")
    problems = []
    if request.method == "POST" and request.POST.get("reset") and policy and not practice_level:
        policy.delete()
        record(SettingsChanged(practice=p, actor=request.user, section="outreach-plan",
                               changes={"plan for": who, "steps": [policy.steps, None]}))
        messages.success(request, f"The plan for {who} now follows the practice's plan.")
        return redirect(request.path)
    if request.method == "POST" and formset.is_valid():
        new_steps, auto, problems = _steps_from(formset, p)
        if not problems:
            save_policy(p, new_steps, clinician=clinician, client=client)
            changes = {"plan for": who, "steps": [steps, new_steps]} if new_steps != steps else {}
            if practice_level:
                new_auto = sorted(auto)
                if sorted(prefs.auto_send) != new_auto:
                    changes["auto_send"] = [prefs.auto_send, new_auto]
                    prefs.auto_send = new_auto
                    prefs.save(update_fields=["auto_send"])
            if changes:
                record(SettingsChanged(practice=p, actor=request.user, section="outreach-plan", changes=changes))
            messages.success(request, f"Outreach plan for {who} saved. It applies to outreach that starts from now.")
            return redirect(request.path)
    clinicians = p.members.filter(role=Membership.Role.CLINICIAN).select_related("user")
    overrides = CadencePolicy.objects.filter(practice=p).exclude(clinician=None, client=None).select_related(
        "clinician__user", "client")
    # The page names the client it is for, and lists the clients with a plan of their own.
    if client is not None:
        record(ClientViewed(practice=p, actor=request.user, client=client))
    own = [o.client_id for o in overrides if o.client_id]
    if own:
        record(ClientListViewed(practice=p, actor=request.user, count=len(own), clients=own))
    return render(request, "practice/plan.html", {
        "formset": formset, "who": who, "practice_level": practice_level, "problems": problems,
        "has_own": bool(policy), "clinicians": clinicians, "overrides": overrides,
        "templates": TEMPLATE_NAMES,
    })


# --- measures ----------------------------------------------------------------

ALERT_FIELDS = ("alliance_drop", "alliance_baseline_drop", "baseline_ratings", "not_on_track_after",
                "plateau_ratings")


@director_required
def measures_settings(request):
    p = request.membership.practice
    cfg = custom.config_for(p)
    row = p.measures_settings if hasattr(p, "measures_settings") else None
    text = row.toml if row else ""
    initial = {k: getattr(cfg.alerts, k) for k in ALERT_FIELDS} | {"every_sessions": cfg.checkin_every}
    form = f.MeasuresForm(request.POST if request.POST.get("form") == "thresholds" else None, initial=initial)
    file_error, file_text = "", text
    if request.method == "POST" and request.POST.get("form") == "thresholds" and form.is_valid():
        doc = tomlkit.parse(text)
        d = form.cleaned_data
        alerts = doc.get("alerts") or tomlkit.table()
        defaults = AlertSettings()
        for k in ALERT_FIELDS:
            if d[k] == getattr(defaults, k) and k not in alerts:
                continue
            alerts[k] = d[k]
        if alerts:
            doc["alerts"] = alerts
        checkins = doc.get("checkins") or tomlkit.table()
        checkins["every_sessions"] = d["every_sessions"]
        doc["checkins"] = checkins
        return _save_measures(request, p, text, tomlkit.dumps(doc), initial, d)
    if request.method == "POST" and request.POST.get("form") == "file":
        file_text = request.POST.get("toml", "").replace("\r\n", "\n")
        try:
            custom.parse(file_text)
        except custom.ConfigError as e:
            file_error = str(e)
        else:
            return _save_measures(request, p, text, file_text, None, None)
    return render(request, "practice/measures.html", {
        "form": form, "instruments": cfg.registry, "file_text": file_text, "file_error": file_error})


def _save_measures(request, p, old_text, new_text, old, new):
    if new_text != old_text:
        custom.save_config(p, new_text, by=request.membership)
        changes = ({k: [old[k], new[k]] for k in new if old[k] != new[k]} if new is not None
                   else {"settings file": "replaced"})
        record(SettingsChanged(practice=p, actor=request.user, section="measures", changes=changes))
    messages.success(request, "Questionnaire settings saved.")
    return redirect("practice:measures")


@director_required
def templates(request):
    """Every built-in wording per channel, linked to the existing editor."""
    from stillhere.outreach.models import CHANNELS, MessageTemplate

    own = set(MessageTemplate.objects.filter(practice=request.membership.practice).values_list("key", "channel"))
    rows = []
    for key, name in TEMPLATE_NAMES.items():
        chans = []
        for ch, label in CHANNELS:
            try:
                templating.builtin(key, ch)
            except templating.TemplateMissing:
                continue
            chans.append({"channel": ch, "label": label, "own": (key, ch) in own})
        if chans:
            rows.append({"key": key, "name": name, "channels": chans})
    return render(request, "practice/templates.html", {"rows": rows})
