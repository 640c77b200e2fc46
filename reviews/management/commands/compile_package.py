import shutil
import time

from django.core.management.base import BaseCommand, CommandError

from reviews.package_pdf import compile_package
from reviews.packages import package_languages, request_compile
from submissions.models import RegionalReview


class Command(BaseCommand):
    help = (
        "Compile a regional review's package now (no worker), print path, pages and seconds; "
        "with --enqueue, queue it for the task worker and print the package id."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cycle", required=True, help="review cycle slug, e.g. 2028-2029")
        parser.add_argument("--region", required=True, help="region code, e.g. ECLAC")
        parser.add_argument(
            "--language",
            choices=package_languages(),
            help="the package's language (default: the regional review's package language)",
        )
        parser.add_argument("--output", help="also copy the review edition to this file")
        parser.add_argument(
            "--public-output", help="also copy the public edition (published inputs) to this file"
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="only ask for the compile, as the package page does (a task for "
            "`manage.py db_worker`), and print the package id; compiles nothing here",
        )

    def handle(
        self,
        *args,
        cycle,
        region,
        language=None,
        output=None,
        public_output=None,
        enqueue=False,
        **options,
    ):
        try:
            review = RegionalReview.objects.select_related("region").get(
                cycle__slug=cycle, region__code=region.upper()
            )
        except RegionalReview.DoesNotExist:
            raise CommandError(
                f"No regional review for cycle {cycle!r} and region {region!r}."
            ) from None
        if enqueue:
            if output or public_output:
                raise CommandError("--output needs the compile to run here: drop --enqueue.")
            # request_compile enqueues the task when its transaction commits.
            package, created = request_compile(review, language=language)
            # First line: the id alone, for scripts.
            note = "queued" if created else f"{package.status}, unchanged: not queued again"
            self.stdout.write(
                f"{package.pk}\nversion {package.number} in {package.language}, "
                f"{package.input_versions.count()} inputs ({note})"
            )
            return
        started = time.perf_counter()
        package, created = request_compile(review, language=language, enqueue=False)
        if created:
            package = compile_package(package.pk)
        seconds = time.perf_counter() - started
        if package.status != package.Status.DONE:
            raise CommandError(
                f"Package version {package.number} {package.status}: {package.error}"
            )
        for stored, copy in ((package.file, output), (package.public_file, public_output)):
            if copy:
                with stored.open("rb") as source, open(copy, "wb") as target:
                    shutil.copyfileobj(source, target)
        path = output or package.file.path
        note = "" if created else " (unchanged since this version: not compiled again)"
        self.stdout.write(
            f"{path}\nversion {package.number}, {package.page_count} pages, "
            f"{package.size} bytes, {seconds:.2f} s{note}\n"
            f"public edition: {public_output or package.public_file.path}, "
            f"{package.public_page_count} pages, {package.public_size} bytes\n"
            f"language: {package.language}"
        )
