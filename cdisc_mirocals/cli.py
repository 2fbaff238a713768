"""The cdisc-mirocals command line. Thin: parse options, call one pipeline function, print.

Nothing heavy is imported here (pandas, matplotlib, lifelines come with the pipeline, inside each
command), so `--help` and `--version` answer at once.

Exit codes, the same for every command: 0 when the command did what was asked (and, for validate and
convert, no finding reached --fail-on); 1 when what it read or wrote failed (raw data, specs, a dataset
or define.xml that cannot be read, validation findings at --fail-on, an output that cannot be written);
2 when the command line is wrong (an unknown option, a value an option does not take, a path that does
not exist, an option naming a variable, arm or parameter the data do not have, a folder holding
nothing to read). Every error is a message on standard error, never a traceback."""

from __future__ import annotations

import numbers
import sys
from pathlib import Path

import click

from cdisc_mirocals import __version__
from cdisc_mirocals.errors import MirocalsError, ProblemsError, UsageError
from cdisc_mirocals.validate.model import STANDARDS
from cdisc_mirocals.validate.profiles import PROFILES

EXISTING_DIR = click.Path(exists=True, file_okay=False, path_type=Path)
STUDY = "study"  # analyze with no ADAM_DIR: where the default study is converted, inside --out
OUT_DIR = click.Path(file_okay=False, path_type=Path)
# Heavy libraries (pandas, lifelines, matplotlib) are imported inside the commands, so that --help and
# --version answer at once.

SPECS = click.Path(exists=True, path_type=Path)  # a specs/ folder or a P21 workbook (.xlsx)
specs_option = click.option(
    "--specs", "specs_dir", type=SPECS, default=None,
    help="Specification folder, or Pinnacle 21 workbook (.xlsx), to use instead of the package's own.")
transliterate_option = click.option(
    "--transliterate", is_flag=True, default=False,
    help="Map non-ASCII text to ASCII (é to e, – to -, ’ to ') and log each change, instead of refusing it; "
         "SAS transport v5 holds ASCII only.")


def _replaceable_out(ctx, param, value: Path) -> Path:
    """convert replaces OUT whole when it ends: the current folder, or one holding it, cannot be OUT."""
    from cdisc_mirocals.submission.publish import OutputError, check_not_current
    try:
        check_not_current(value)
    except OutputError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return value


def _spec(specs_dir: Path | None):
    from cdisc_mirocals.spec import load_spec
    return load_spec(specs_dir)


class Command(click.Command):
    """Turns errors the user can fix into a clean message and the exit code of the module's rule, never a
    traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            click.echo(f"error: {exc}", err=True)
            click.echo(f"Try '{ctx.command_path} --help' for help.", err=True)
            ctx.exit(2)
        except ProblemsError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            n = len(exc.problems)
            click.echo(f"{n} {exc.kind}{'s' if n != 1 else ''}", err=True)
            ctx.exit(1)
        except MirocalsError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except OSError as exc:  # a folder that cannot be written or read: the system's reason, and the path
            click.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
            ctx.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdisc-mirocals")
def main():
    """MIROCALS from raw case report forms to SDTM, ADaM, submission files and survival analysis."""


def _echo_table(rows: list[dict]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    click.echo("  ".join(c.ljust(widths[c]) for c in cols))
    for r in rows:
        click.echo("  ".join(str(r[c]).rjust(widths[c]) if isinstance(r[c], numbers.Integral) else str(r[c]).ljust(widths[c])
                             for c in cols))


@main.command(cls=Command)
@click.option("--subjects", "-n", type=click.IntRange(min=0), default=None,
              help="Number of randomised subjects [default: 220, from specs/study.toml].")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Random seed, a whole number from 0 [default: 2054, from specs/study.toml]. The same seed gives identical files.")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("raw"), show_default=True,
              help="Folder for the raw CSV forms (or the ODM file, OUT/<study>.xml unless OUT ends in .xml).")
@click.option("--format", "fmt", type=click.Choice(["csv", "odm"]), default="csv", show_default=True,
              help="One CSV per form, or one CDISC ODM 1.3.2 file as an EDC exports it.")
@specs_option
def simulate(subjects, seed, out, fmt, specs_dir):
    """Simulate the raw CRF export of a MIROCALS-like study, one CSV per form or one ODM file."""
    from cdisc_mirocals import pipeline
    if fmt == "odm":
        from cdisc_mirocals.simulate import simulate_study, write_odm_export
        spec = _spec(specs_dir)
        click.echo(f"wrote the ODM 1.3.2 export to {write_odm_export(simulate_study(subjects, seed, spec), out, spec)}")
        return
    files = pipeline.simulate(out, subjects, seed, spec=_spec(specs_dir))
    click.echo(f"wrote {len(files)} raw forms to {out}/")


class RawPath(click.Path):
    """A folder of CSV forms, or an ODM 1.3.2 export (.xml)."""

    def convert(self, value, param, ctx):
        path = super().convert(value, param, ctx)
        if path.is_file() and path.suffix.lower() != ".xml":
            self.fail(f"{path} is a file, not a folder of raw CSV forms or an ODM 1.3.2 export (.xml)", param, ctx)
        return path


RAW = RawPath(exists=True, path_type=Path)


@main.command("check-raw", cls=Command)
@click.argument("raw_dir", type=RAW)
@specs_option
@transliterate_option
def check_raw(raw_dir, specs_dir, transliterate):
    """Check a raw CRF folder (or ODM 1.3.2 file) against specs/raw; list every problem, exit 1 if any."""
    from cdisc_mirocals.raw import read_raw

    raw = read_raw(raw_dir, _spec(specs_dir), transliterate=transliterate)
    _echo_table(raw.summary().to_dict("records"))
    for change in raw.changes:
        click.echo(f"note: {change.kind}: {change}")
    click.echo(f"{raw_dir}: {len(raw.forms)} forms, {sum(len(f) for f in raw.forms.values())} records, no problems")


@main.command(cls=Command)
@click.argument("raw_dir", type=RAW, required=False)
@click.option("--out", "-o", type=OUT_DIR, default=Path("out"), show_default=True, callback=_replaceable_out,
              help="Output folder, replaced whole when the run succeeds and left as it was when it fails (so not "
                   "the current folder).")
@click.option("--format", "fmt", type=click.Choice(["xpt", "json", "both"]), default="both", show_default=True,
              help="Dataset files: SAS transport v5 (.xpt), CDISC Dataset-JSON 1.1 (.json), or both.")
@click.option("--fail-on", type=click.Choice(["reject", "error", "warning", "never"]), default="error",
              show_default=True, help="Validation findings of this severity or worse stop the publish: OUT stays as it "
                                      "was, the output that failed goes to OUT.rejected, and the exit code is 1.")
@click.option("--profile", type=click.Choice(list(PROFILES), case_sensitive=False), default="fda", show_default=True,
              help="The validator's agency profile (see `validate --profile`).")
@specs_option
@transliterate_option
def convert(raw_dir, out, fmt, fail_on, profile, specs_dir, transliterate):
    """Run the main job on RAW_DIR, or on the simulated default study when RAW_DIR is omitted.

    With no RAW_DIR the default study is first simulated into OUT/raw/. The raw forms are read and
    checked against specs/raw, mapped to SDTM and derived to ADaM, validated against specs/, and
    written as SAS XPT v5 files to OUT/m5/datasets/mirocals/tabulations/sdtm/ and
    OUT/m5/datasets/mirocals/analysis/adam/datasets/. OUT/reconciliation.csv accounts for every raw
    record: mapped, or excluded with its reason; OUT/conversion.log lists every change made to the
    data on the way (transliterations, types, lengths, sort order). The datasets and their define.xml
    are then validated as `cdisc-mirocals validate` does, with reports in OUT/validation/. The whole of
    OUT is published in one step at the end: a run that fails, or whose validation finds something at
    or above --fail-on, leaves the previous output as it was (the failed output, with its validation
    reports, goes to OUT.rejected/).
    """
    from cdisc_mirocals import pipeline
    formats = ("xpt", "json") if fmt == "both" else (fmt,)
    try:
        # keep=False: it prints counts, so no frame need outlive its stage
        result = pipeline.convert(raw_dir, out, _spec(specs_dir), formats=formats, transliterate=transliterate,
                                  fail_on=fail_on, keep=False, profile=profile.lower())
    except pipeline.ValidationFailed as exc:
        if exc.result is not None:  # what was written, and where it went instead of OUT
            _echo_converted(exc.result)
        raise
    _echo_converted(result)
    _echo_analysis(result.analysis, out / "analysis")


def _echo_converted(result) -> None:
    if result.simulated:
        click.echo(f"simulated the default study into {result.raw_dir}/")
    _echo_table(result.sdtm.counts().to_dict("records"))
    for note in result.sdtm.notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {len(result.written['SDTM'])} SDTM datasets to {result.sdtm_dir}/")
    click.echo(f"wrote {len(result.written['ADaM'])} ADaM datasets to {result.adam_dir}/")
    click.echo(f"wrote the record reconciliation to {result.reconciliation_path}")
    click.echo(f"wrote the conversion log ({len(result.log)} lines) to {result.log_path}")
    for line in result.validation.summary():
        click.echo(f"validation: {line}")
    click.echo(f"wrote the validation reports (HTML, JSON, XLSX) to {result.validation_dir}/")
    if result.guides is not None:
        from cdisc_mirocals.submission.guides import GUIDES
        click.echo(f"wrote the reviewer's guides to {result.sdtm_dir / GUIDES['SDTM']} and "
                   f"{result.adam_dir / GUIDES['ADaM']}")
        if result.guides.summary():
            click.echo(f"note: {result.guides.summary()}; explain them in the specification's "
                       f"review/findings_explanations.csv (or its Findings Explanations sheet)")


def _echo_analysis(report, folder: Path) -> None:
    click.echo("")
    click.echo(str(report))
    for note in report.messages():
        click.echo(f"note: {note}")
    skipped = [r for r in report.all_results() if not r.done]
    if skipped:
        click.echo(f"{len(skipped)} analyses not done (reasons above and in the JSON files)")
    click.echo(f"wrote results, safety, baseline (JSON, CSV, HTML), figures and report.html to {folder}/")


def _numbers(text: str | None, param: str) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"expected numbers of days separated by commas, got {text!r}",
                                 param_hint=param) from None
    if not values or any(not v >= 0 for v in values):
        raise click.BadParameter(f"expected days >= 0 separated by commas, got {text!r}", param_hint=param)
    return values


def _split(values: tuple[str, ...]) -> tuple[str, ...] | None:
    items = tuple(v.strip() for value in values for v in value.split(",") if v.strip())
    return items or None


@main.command(cls=Command)
@click.argument("adam_dir", type=EXISTING_DIR, required=False)
@click.option("--out", "-o", type=OUT_DIR, default=Path("analysis"), show_default=True,
              help="Folder for results.json, tables, figures and report.html (and, with no ADAM_DIR, the default "
                   "study's submission in OUT/study).")
@click.option("--param", "params", multiple=True, help="PARAMCD to analyse (repeatable) [default: OS640, OS, DTHTRV].")
@click.option("--treatment-var", default=None, help="Treatment variable [default: TRT01P].")
@click.option("--reference", default=None, help="Reference arm [default: Placebo].")
@click.option("--population", default=None, help="Population flag, selecting 'Y', of the survival analyses, Table 1 "
              "and disposition [default: ITTFL].")
@click.option("--strata", "strata_var", default=None, help="Strata variable for stratified tests [default: STRATAR].")
@click.option("--covariates", multiple=True, help="Covariates of the adjusted Cox model, comma-separated; "
              "log(VAR) logs a variable [default: the pre-specified ones].")
@click.option("--ci-transform", type=click.Choice(["log-log", "log"]), default="log-log", show_default=True,
              help="Transform for Kaplan-Meier confidence limits.")
@click.option("--ties", type=click.Choice(["efron", "breslow"]), default="efron", show_default=True,
              help="Handling of tied event times in Cox models.")
@click.option("--survival-times", default=None, help="Days at which to estimate survival, comma-separated "
              "[default: 180,365,640].")
@click.option("--at-risk-times", default=None, help="Days of the number-at-risk table, comma-separated "
              "[default: 0 and the survival times; the figure uses its own axis ticks].")
@click.option("--tau", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Horizon of the restricted mean survival time, in days (> 0, at most the last follow-up of "
                   "every arm) [default: 640].")
@click.option("--sdtm", "sdtm_dir", type=EXISTING_DIR, default=None,
              help="SDTM folder (DM, DS, IE) for screening and disposition [default: found beside ADAM_DIR].")
@click.option("--table1-vars", multiple=True, help="ADSL variables of Table 1, comma-separated, in order [default: the "
              "study's; another study's ADSL shows those it has, then its standard demographics].")
@specs_option
def analyze(adam_dir, out, params, treatment_var, reference, population, strata_var, covariates, ci_transform, ties,
            survival_times, at_risk_times, tau, sdtm_dir, table1_vars, specs_dir):
    """Clinical study outputs read from the ADaM XPT files in ADAM_DIR (ADTTE, ADSL, ADAE) and the SDTM
    beside it (DM, DS, IE).

    Survival: Kaplan-Meier, log-rank (unstratified and stratified), Cox models (unadjusted, stratified,
    adjusted, by pNFH group, interaction, adjusted for log pNFH) with the cox.zph test, and RMST. The
    safety summary from ADAE, Table 1, disposition and the CONSORT diagram. JSON, numeric CSV, HTML
    tables, figures (PNG, SVG) and one self-contained report.html go to --out.

    With no ADAM_DIR, the default study is first simulated and converted into OUT/study (as `convert
    --out OUT/study` would), and its ADaM is analysed with the options given.
    """
    from cdisc_mirocals import pipeline

    overrides = dict(params=list(params) or None, treatment_var=treatment_var, reference=reference,
                     population=population, strata_var=strata_var, covariates=_split(covariates),
                     ci_transform=ci_transform, ties=ties, survival_times=_numbers(survival_times, "--survival-times"),
                     at_risk_times=_numbers(at_risk_times, "--at-risk-times"), tau=tau, sdtm_dir=sdtm_dir,
                     baseline_vars=_split(table1_vars))
    spec = _spec(specs_dir)
    if adam_dir is None:
        study = pipeline.convert(None, out / STUDY, spec, analysis=False, keep=False)
        click.echo(f"converted the default study into {study.out}/")
        adam_dir = study.adam_dir
    report = pipeline.run_analysis(adam_dir, out, spec, **overrides)
    _echo_analysis(report, out)


@main.command("validate", cls=Command)
@click.argument("folder", type=EXISTING_DIR)
@click.option("--define", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="define.xml to check the data against [default: FOLDER/define.xml when present].")
@click.option("--standard", type=click.Choice(list(STANDARDS), case_sensitive=False), default=None,
              help="Standard [default: from define.xml, else detected from the data].")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html", "xlsx", "csv"]), default="text",
              show_default=True, help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Report file [default: standard output; xlsx needs a file].")
@click.option("--fail-on", type=click.Choice(["reject", "error", "warning", "never"]), default="error",
              show_default=True, help="Exit 1 when a finding has this severity or a worse one.")
@click.option("--sdtm", type=EXISTING_DIR, default=None,
              help="The SDTM folder behind an ADaM FOLDER [default: ../sdtm or the eCTD tabulations/sdtm].")
@click.option("--specs", "specs_dir", type=SPECS, default=None,
              help="Study specifications (folder or .xlsx workbook) to check against [default: the package's own, for its own study].")
@click.option("--profile", type=click.Choice(list(PROFILES), case_sensitive=False), default="fda", show_default=True,
              help="Agency profile: the rules run and what the report says the agency does (docs/validation.md).")
@click.pass_context
def validate(ctx, folder, define, standard, fmt, output, fail_on, sdtm, specs_dir, profile):
    """Validate a folder of SDTM or ADaM datasets (XPT or Dataset-JSON) against the SDTMIG or ADaMIG version
    it declares (or --standard), CDISC CT, the study metadata and define.xml, under an agency --profile. Exit 0 when nothing reaches --fail-on, 1 when
    something does or a dataset or define.xml cannot be read, 2 for a usage error."""
    from cdisc_mirocals.validate.engine import validate_folder
    from cdisc_mirocals.validate.writers import write_report
    from cdisc_mirocals.validate.writers.text import render

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx needs --output FILE")
    report = validate_folder(folder, standard=standard, define=define, specs=specs_dir, sdtm=sdtm,
                             profile=profile.lower())
    if output is not None:
        write_report(report, output, fmt)
        click.echo(render(report, limit=40) + f"wrote the {fmt} report to {output}")
    elif fmt == "text":
        click.echo(render(report), nl=False)
    else:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            click.echo(write_report(report, Path(tmp) / f"report.{fmt}", fmt).read_text(encoding="utf-8"), nl=False)
    ctx.exit(report.exit_code(fail_on))


class Group(Command, click.Group):
    """A command group whose own callback's errors are reported as Command's are."""


@main.group(cls=Group, invoke_without_command=True)
@specs_option
@click.pass_context
def specs(ctx, specs_dir):
    """Load and check the specifications; print what they define. Subcommands convert them."""
    if ctx.invoked_subcommand is not None:
        return
    spec = _spec(specs_dir)
    click.echo(f"study {spec.study.studyid}: specs at {spec.root}")
    for std in (spec.sdtm, spec.adam):
        n_vars = sum(len(d.variables) for d in std.datasets.values())
        click.echo(f"  {std.name}: {len(std.datasets)} datasets, {n_vars} variables, {len(std.codelists)} codelists")
    click.echo(f"  raw: {len(spec.raw)} forms, {sum(len(f.fields) for f in spec.raw.values())} fields")


@specs.command("export", cls=Command)
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Workbook to write, laid out as Pinnacle 21 Community's define spec template.")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A new specs/ folder to write (e.g. from --specs FILE.xlsx).")
@specs_option
@click.pass_context
def specs_export(ctx, xlsx, csv_dir, specs_dir):
    """Write the specifications (checked first) as one Pinnacle 21 workbook, or as a specs/ folder."""
    from cdisc_mirocals.spec.export import export_folder, export_spec
    if (xlsx is None) == (csv_dir is None):
        raise click.UsageError("give one of --xlsx FILE and --csv DIR")
    specs_dir = specs_dir or ctx.parent.params.get("specs_dir")
    click.echo(f"wrote {export_spec(specs_dir, xlsx) if xlsx else export_folder(specs_dir, csv_dir)}")


@specs.command("import-define", cls=Command)
@click.argument("define", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True,
              help="A new specs/ folder to write, or a workbook (.xlsx).")
def specs_import_define(define, out):
    """Write the specification a Define-XML 2.0 or 2.1 file holds (ARM included) as a specs/ folder or workbook."""
    from cdisc_mirocals.spec.from_define import write_imported
    written, notes = write_imported(define, out)
    for note in notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {written}")


if __name__ == "__main__":
    sys.exit(main())
