from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stillhere.simulator.generate import dropout_share, simulate
from stillhere.simulator.params import SimParams
from stillhere.simulator.write import write_practice


class Command(BaseCommand):
    help = ("Generate a seeded, realistic practice. Writes the generic CSV files and Parquet "
            "(with the oracle, truth.parquet) to --out, and/or loads it into the database with --into-db.")

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=300, help="number of clients (default 300)")
        parser.add_argument("--seed", type=int, default=0, help="random seed; same seed, same practice")
        parser.add_argument("--out", type=Path, help="directory for clients.csv, appointments.csv, "
                            "measures.csv and *.parquet (with truth.parquet, the oracle)")
        parser.add_argument("--into-db", action="store_true", help="load the practice into the database")
        parser.add_argument("--practice", default="simulated", help="practice slug for --into-db")
        parser.add_argument("--timezone", default="Europe/London", help="practice time zone")
        parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                            help="last day of history, YYYY-MM-DD (default today)")
        parser.add_argument("--years", type=float, default=2.0, help="years of history (default 2)")
        parser.add_argument("--no-csv", action="store_true", help="with --out, write Parquet only")

    def handle(self, *args, **opts):
        if not opts["out"] and not opts["into_db"]:
            raise CommandError("Say where the practice goes: --out DIR, --into-db, or both.")
        if opts["clients"] < 1:
            raise CommandError("--clients must be at least 1.")
        sim = simulate(opts["clients"], seed=opts["seed"], as_of=opts["as_of"], timezone=opts["timezone"],
                       params=SimParams(years=opts["years"]))
        self.stdout.write(
            f"Simulated {len(sim.clients):,} clients, {len(sim.episodes):,} episodes, "
            f"{len(sim.appointments):,} appointments; {dropout_share(sim):.1%} of episodes "
            f"truly end without goodbye.")
        if opts["out"]:
            counts = write_practice(sim, opts["out"], csv=not opts["no_csv"])
            self.stdout.write(f"Wrote {', '.join(counts)} to {opts['out']}")
        if opts["into_db"]:
            from stillhere.simulator.load import load_simulation

            practice, counts = load_simulation(sim, slug=opts["practice"])
            self.stdout.write(f"Loaded into practice '{practice.slug}': "
                              + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
