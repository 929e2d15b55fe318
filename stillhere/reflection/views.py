"""Reflection pages. A review is found through its author, never through the
client: anyone else asking for it gets a 404, whatever their role."""

import random

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from stillhere.accounts.decorators import member_required
from stillhere.accounts.permissions import visible_episodes
from stillhere.audit.events import (ClientViewed, ConsultationShared, ConsultationViewed, ReflectionListViewed, ReflectionSaved, ReflectionViewed,
                                    record)
from stillhere.clients.models import Episode
from stillhere.lib.crypto import DecryptionError

from .deidentify import consultation_summary
from .facts import gather
from .forms import ReflectionForm
from .models import ConsultationSummary, Reflection
from .phi.review import flags, segments
from .prompts import prompts


def endings_without_goodbye(member):
    """The member's own episodes that ended without goodbye."""
    return (visible_episodes(member).filter(clinician=member)
            .filter(Q(end_reason=Episode.EndReason.NO_GOODBYE) | Q(state=Episode.State.ENDED_NO_GOODBYE))
            .select_related("client").order_by("-ended", "-state_since"))


def _own_episode_or_404(member, episode_id):
    episode = endings_without_goodbye(member).filter(pk=episode_id).select_related(
        "practice", "clinician__user").first()
    if episode is None:
        raise Http404("No such ending.")
    return episode


def _own_reflection_or_404(member, pk):
    try:
        return Reflection.objects.select_related("episode__client", "episode__practice",
                                                 "episode__clinician__user").get(pk=pk, author=member)
    except (Reflection.DoesNotExist, ValueError):
        raise Http404("No such reflection.")


@member_required
def index(request):
    m = request.membership
    if m.role != m.Role.CLINICIAN and not m.sees_whole_practice:
        raise Http404()
    done = {r.episode_id: r for r in Reflection.objects.filter(author=m).only("id", "episode_id", "complete")}
    endings = list(endings_without_goodbye(m)[:200])
    record(ReflectionListViewed(practice=m.practice, actor=request.user, count=len(endings), clients=endings))
    return render(request, "reflection/index.html", {
        "rows": [(e, done.get(e.pk)) for e in endings],
        "patterns": caseload_patterns(endings),
    })


def caseload_patterns(endings) -> dict:
    """When in treatment the member's clients left, and what came just before."""
    from stillhere.clients.models import Appointment, SessionMarker

    ids = [e.pk for e in endings]
    if not ids:
        return {}
    attended = {}
    for ep_id, n in (Appointment.objects.filter(episode_id__in=ids, status=Appointment.Status.ATTENDED)
                     .values_list("episode_id", "session_number")):
        attended[ep_id] = max(attended.get(ep_id, 0), n or 0)
    hard = set(SessionMarker.objects.filter(appointment__episode_id__in=ids,
                                            kind__in=[SessionMarker.Kind.HARD_SESSION, SessionMarker.Kind.RUPTURE])
               .values_list("appointment__episode_id", flat=True))
    bands = {"after 1–2 sessions": 0, "after 3–6": 0, "after 7–12": 0, "after more than 12": 0}
    for i in ids:
        n = attended.get(i, 0)
        key = ("after 1–2 sessions" if n <= 2 else "after 3–6" if n <= 6 else "after 7–12" if n <= 12
               else "after more than 12")
        bands[key] += 1
    return {"total": len(ids), "bands": bands, "hard": len(hard & set(ids))}


@member_required
def review(request, episode_id):
    """Write or continue the review of one ending (the episode's clinician only)."""
    m = request.membership
    try:  # the client's details and the reflection are both encrypted at rest
        episode = _own_episode_or_404(m, episode_id)
        reflection = Reflection.objects.filter(episode=episode, author=m).first()
    except DecryptionError as e:
        return render(request, "reflection/unreadable.html", {"message": str(e)}, status=500)
    if request.method == "POST":
        form = ReflectionForm(request.POST, instance=reflection)
        if form.is_valid():
            r = form.save(commit=False)
            r.practice_id, r.episode, r.author = episode.practice_id, episode, m
            r.complete = request.POST.get("action") == "complete"
            r.save()
            record(ReflectionSaved(practice=m.practice, actor=request.user, client=episode.client, reflection=r,
                                   complete=r.complete))
            messages.success(request, "Saved. Only you can see this review.")
            return redirect("reflection:review", episode_id=episode.pk)
    else:
        form = ReflectionForm(instance=reflection)
        if reflection:
            record(ReflectionViewed(practice=m.practice, actor=request.user, client=episode.client,
                                    reflection=reflection))
        else:  # the page still shows the client's last sessions
            record(ClientViewed(practice=m.practice, actor=request.user, client=episode.client))
    facts = gather(episode)
    return render(request, "reflection/review.html", {
        "episode": episode, "client": episode.client, "form": form, "reflection": reflection, "facts": facts,
        "prompts": prompts(facts), "tz": m.practice.timezone,
        "summaries": reflection.summaries.all() if reflection else [],
    })


@member_required
@require_POST
def make_summary(request, pk):
    """Produce a de-identified summary for the author to read, with what might
    still identify marked; it is shared with consultants only when the author
    has checked it and says so."""
    m = request.membership
    reflection = _own_reflection_or_404(m, pk)
    action = request.POST.get("action")
    edited = request.POST.get("text", "").replace("\r\n", "\n").strip()[:20000]
    if action in ("share", "check") and edited:
        text = edited
    else:
        text = consultation_summary(reflection, gather(reflection.episode), random.SystemRandom())
    marked = flags(text)
    if action == "share":
        if request.POST.get("reviewed") != "yes":
            return render(request, "reflection/summary_preview.html", {
                "reflection": reflection, "text": text, "segments": segments(text, marked), "marked": marked,
                "error": "Please tick the box to say you have read the summary and checked the marked words."},
                status=400)
        summary = ConsultationSummary.objects.create(practice_id=reflection.practice_id, reflection=reflection,
                                                     text=text, reviewed_by=m, marked_words=len(marked))
        record(ConsultationShared(practice=m.practice, actor=request.user, summary=summary,
                                  marked_words=len(marked)))
        messages.success(request, "Shared with the practice's consultants, without names, places, contact "
                                  "details or real dates.")
        return redirect("reflection:review", episode_id=reflection.episode_id)
    return render(request, "reflection/summary_preview.html", {
        "reflection": reflection, "text": text, "segments": segments(text, marked), "marked": marked})


def _readable_summaries(member):
    qs = ConsultationSummary.objects.filter(practice_id=member.practice_id)
    if member.role == member.Role.CONSULTANT:
        return qs
    return qs.filter(reflection__author=member)


@member_required
def consultation(request):
    m = request.membership
    return render(request, "reflection/consultation.html", {"summaries": _readable_summaries(m)[:200]})


@member_required
def consultation_detail(request, pk):
    m = request.membership
    try:
        summary = _readable_summaries(m).get(pk=pk)
    except (ConsultationSummary.DoesNotExist, ValueError):
        raise Http404("No such summary.")
    record(ConsultationViewed(practice=m.practice, actor=request.user, summary=summary))
    return render(request, "reflection/consultation_detail.html", {"summary": summary})
