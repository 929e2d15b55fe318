from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stillhere.accounts.models import Practice
from stillhere.audit.events import MeasuresSettingsChanged, record
from stillhere.measures.custom import ConfigError, config_for, parse, save_config
from stillhere.measures.models import PracticeMeasures


class Command(BaseCommand):
    help = ("List a practice's questionnaires (built-in and its own), or check / load its measures settings "
            "file (TOML: custom instruments, reliable-change thresholds, alert settings, check-in interval).")

    def add_arguments(self, parser):
        parser.add_argument("--practice", help="practice slug (not needed with --check)")
        parser.add_argument("--check", metavar="FILE", help="validate a settings file and say what it declares")
        parser.add_argument("--load", metavar="FILE", help="validate a settings file and make it the practice's")
        parser.add_argument("--show", action="store_true", help="print the practice's stored settings file")

    def handle(self, *args, **opts):
        if opts["check"]:
            cfg = self.read(opts["check"])
            self.stdout.write(self.style.SUCCESS(f"{opts['check']} is valid."))
            self.describe(cfg)
            return
        if not opts["practice"]:
            raise CommandError("Say which practice: --practice SLUG.")
        try:
            practice = Practice.objects.get(slug=opts["practice"])
        except Practice.DoesNotExist:
            raise CommandError(f"No practice with slug {opts['practice']!r}.")
        if opts["load"]:
            text = self.text(opts["load"])
            try:
                cfg = save_config(practice, text)
            except ConfigError as e:
                raise CommandError(f"{opts['load']}: {e} Nothing was changed.")
            own = [i.code for i in cfg.registry if i.custom]
            record(MeasuresSettingsChanged(practice=practice, instruments=own))
            self.stdout.write(self.style.SUCCESS(f"Loaded {opts['load']} for {practice.name}."))
            self.describe(cfg)
        elif opts["show"]:
            row = PracticeMeasures.objects.filter(practice=practice).first()
            self.stdout.write(row.toml if row and row.toml else "# no settings file: the defaults apply\n")
        else:
            self.describe(config_for(practice))

    def text(self, path) -> str:
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise CommandError(f"Cannot read {path}: {e.strerror}.")

    def read(self, path):
        try:
            return parse(self.text(path))
        except ConfigError as e:
            raise CommandError(f"{path}: {e}")

    def describe(self, cfg):
        for i in cfg.registry:
            cut = "; ".join(f"{c.population} {c.side} is {c.label}" for c in i.cutoffs) or "no cutoff"
            bands = ", ".join(f"{b.label} from {b.low:g}" for b in i.bands)
            safety = "; ".join(f"item {s.number} above {s.above:g}" for s in i.safety_items)
            self.stdout.write(
                f"{i.code:<8} {i.name}{' (practice)' if i.custom else ''}\n"
                f"         {i.kind}, {len(i.items)} items {i.item_low:g}-{i.item_high:g}, total "
                f"{i.total_low:g}-{i.total_high:g}, {'higher' if i.higher_is_better else 'lower'} is better\n"
                f"         cutoff: {cut}\n"
                + (f"         bands: {bands}\n" if bands else "")
                + (f"         safety: {safety}\n" if safety else "")
                + f"         reliable change {i.reliable_change:g} ({i.reliable_change_source})")
        a = cfg.alerts
        self.stdout.write(f"alerts: alliance drop {a.alliance_drop:g}, below baseline {a.alliance_baseline_drop:g} "
                          f"(first {a.baseline_ratings} ratings), not on track after {a.not_on_track_after}, "
                          f"plateau over {a.plateau_ratings}")
        self.stdout.write(f"check-ins: remind after {cfg.checkin_every} sessions without one")
