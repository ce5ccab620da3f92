# Two commands do everything on a fresh clone:
#   make demo   virtualenv + install, sample data, load, dbt build on DuckDB, docs site, correlation
#   make test   every test (DuckDB always; MariaDB/MySQL on 127.0.0.1:3306 unless AKTU_DB_* say otherwise)
#   make report the marts as pictures: target/report/report.html (offline, one file) + a PNG per chart
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE_DIR ?= data/sample
SAMPLE_STUDENTS ?= 300
SAMPLE_SEED ?= 42
TARGET ?= duckdb
DBT := $(BIN)/dbt

.PHONY: demo test install load build docs serve-docs clean bench-load bench-build bench-e2e
.PHONY: install-report report report-test
.PHONY: install-spark test-spark bench-load-spark
.PHONY: lint lint-install lint-sql lint-metadata lint-structure lint-fix docs-test slim-build freshness

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==24.3.1"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

install: $(BIN)/.installed

profiles.yml:
	cp profiles.example.yml profiles.yml

$(SAMPLE_DIR)/students_master.csv: | install
	$(BIN)/python -m loader sample $(SAMPLE_DIR) --students $(SAMPLE_STUDENTS) --seed $(SAMPLE_SEED)

load: install profiles.yml $(SAMPLE_DIR)/students_master.csv
	$(BIN)/python -m loader load $(SAMPLE_DIR) --target $(TARGET)

build: load
	$(DBT) build --target $(TARGET)

docs: install profiles.yml
	$(DBT) docs generate --target $(TARGET) --static

demo: build docs
	@echo
	@$(DBT) show --target $(TARGET) --inline \
	  "select scope, n_pairs, cast(pearson_r as char(24)) as pearson_r from {{ ref('mart_attendance_marks_correlation') }} where scope = 'overall'" \
	  | sed -n '/| scope/,$$p'
	@echo
	@echo "sample exports:   $(SAMPLE_DIR)/"
	@echo "warehouse:        $${AKTU_DUCKDB_PATH:-aktu_dw.duckdb} (DuckDB; schemas aktu_dw_raw, _staging, _intermediate, _marts, _reference)"
	@echo "docs site:        target/static_index.html (one file: open it in a browser), or 'make serve-docs'"
	@echo "overall correlation (attendance vs total marks) is the pearson_r above."

serve-docs: docs
	$(DBT) docs serve --target $(TARGET)

# In CI (CI=true) the Spark tier must run: the spark extra is installed first. Elsewhere make test
# runs it when the extra is there (make install-spark) and skips it loudly when not.
# PYTEST_WORKERS processes run the tests (pytest-xdist; tests/integration/conftest.py keeps a file
# whose tests share a warehouse on one process): most of a test's time is dbt's Python and
# MariaDB's disk, so two processes use a 2-core machine's second core. 0: one process.
PYTEST_WORKERS ?= 2
test: install install-report $(if $(filter true 1 yes,$(CI)),install-spark)
	$(BIN)/python -m pytest $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadgroup)

# The mart guard (tests/integration/test_mart_guard.py) compares every mart and quality model
# with rows stored in tests/integration/guard/; when a change of output is intended, store the
# new rows (built on DuckDB) and commit them with the change.
.PHONY: guard-regenerate
guard-regenerate: install profiles.yml
	$(BIN)/python tests/integration/mart_guard.py regenerate

# --- the picture report (docs/report.md) -----------------------------------------------------------
#   make report                       from the marts of $(TARGET) (after make demo / make build)
#   make report TARGET=mariadb REPORT_VARS="{aktu_academics_min_attendance_pct: 80}"
# REPORT_VARS: the --vars the marts were built with, so the charts draw the same thresholds.
REPORT_VARS ?=
$(BIN)/.installed-report: $(BIN)/.installed pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,report]"
	touch $@

install-report: $(BIN)/.installed-report

report: install-report profiles.yml
	$(BIN)/python -m report --target $(TARGET) $(if $(REPORT_VARS),--vars '$(REPORT_VARS)')

# The report in a real browser, offline (needs chromium; skipped without it, a failure with CI=true).
report-test: install-report
	$(BIN)/python -m pytest -q tests/integration/test_report.py

BENCH_ROWS ?= 1000000
# ENGINE=duckdb: only the DuckDB pair (the loader against DuckDB's own read_csv), no server needed.
ENGINE ?= all
bench-load: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[bench]"
	$(BIN)/python bench/bench_load.py --rows $(BENCH_ROWS) --memory-check --engine $(ENGINE)

BENCH_BUILD_ROWS ?= 1000000
bench-build: install
	$(BIN)/python bench/bench_build.py --rows $(BENCH_BUILD_ROWS)

# From the CSVs to the correlation, the notebook against the warehouse (loader + dbt build on
# DuckDB), alternated (docs/benchmarks.md, "End to end"). Sizes in students: 10000 = 2.4M
# attendance rows, 50000 = 12M, 100000 = 24M (make bench-e2e E2E_STUDENTS=100000). The exports
# are generated once per size and seed into E2E_CACHE and reused.
E2E_STUDENTS ?= 10000 50000
E2E_SEED ?= 5
E2E_REPEAT ?= 3
E2E_CACHE ?= data/bench-e2e
bench-e2e: install
	$(BIN)/python bench/bench_e2e.py --students $(E2E_STUDENTS) --seed $(E2E_SEED) \
	  --repeat $(E2E_REPEAT) --cache $(E2E_CACHE)

clean:
	rm -rf target logs $(SAMPLE_DIR) aktu_dw.duckdb

# --- lint (docs/lint.md) -------------------------------------------------------------------------
#   make lint           sqlfluff on every model + dbt-score on the metadata + dbt-bouncer on the
#                       conventions (what CI runs)
#   make lint-sql SQLFLUFF_PATHS="models/marts/core"   one folder or file
#   make lint-fix FILES="models/marts/core/dim_students.sql"   let sqlfluff fix what it can
#   make lint-structure dbt-bouncer alone: folders, name prefixes, layering, descriptions, keys
# Every check always runs; the target fails if any does, after all have reported.
LINT_DIR := target/lint
SQLFLUFF_PATHS ?= $(wildcard models tests snapshots)
SQLFLUFF := $(BIN)/sqlfluff

$(BIN)/.installed-lint: $(BIN)/.installed pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,lint]"
	touch $@

lint-install: $(BIN)/.installed-lint

lint: lint-install profiles.yml
	@status=0; \
	$(MAKE) --no-print-directory lint-sql || status=1; \
	$(MAKE) --no-print-directory lint-metadata || status=1; \
	$(MAKE) --no-print-directory lint-structure LINT_PARSED=1 || status=1; \
	if [ $$status -eq 0 ]; then echo "lint: passed"; else echo "lint: FAILED (details above)"; fi; \
	exit $$status

# sqlfluff exits 0 when the dbt templater skips a file it cannot compile, so the report below
# fails on any skipped file, lists every violation as path:line:col, and ends with a per-file
# summary (GitHub annotations too when GITHUB_ACTIONS=true).
lint-sql: lint-install profiles.yml
	@mkdir -p $(LINT_DIR)
	@echo "lint: sqlfluff (dialect mysql, dbt templater, target mariadb: no server needed) on $(SQLFLUFF_PATHS)"
	@$(SQLFLUFF) lint $(SQLFLUFF_PATHS) --format json --disable-progress-bar \
	  > $(LINT_DIR)/sqlfluff.json 2> $(LINT_DIR)/sqlfluff.log; \
	$(BIN)/python -c "$$SQLFLUFF_REPORT" $(LINT_DIR)/sqlfluff.json $(LINT_DIR)/sqlfluff.log $$?

lint-fix: lint-install profiles.yml
	$(SQLFLUFF) fix --disable-progress-bar $(or $(FILES),$(SQLFLUFF_PATHS))

# dbt-score reads the manifest of a fresh `dbt parse` (its own target dir: target/ is untouched);
# thresholds and disabled rules are in pyproject.toml [tool.dbt-score]. Then every var in
# dbt_project.yml must be explained on a docs page (docs/*.md).
lint-metadata: lint-install profiles.yml
	@mkdir -p $(LINT_DIR)
	@echo "lint: dbt-score (thresholds in pyproject.toml [tool.dbt-score])"
	@DBT_TARGET_PATH=$(LINT_DIR)/dbt $(DBT) --quiet parse --no-partial-parse --target $(TARGET)
	@status=0; \
	$(BIN)/dbt-score lint --manifest $(LINT_DIR)/dbt/manifest.json --show failing-items || status=1; \
	$(BIN)/python -c "$$VARS_DOCUMENTED" || status=1; \
	$(BIN)/python -c "$$COLUMN_NAMES" $(LINT_DIR)/dbt/manifest.json || status=1; \
	exit $$status

# dbt-bouncer checks the conventions of CONTRIBUTING.md (dbt-bouncer.yml) on the manifest
# lint-metadata parses; run alone, it parses first. It needs Python 3.11+ (pyproject.toml).
LINT_PARSED ?=
lint-structure: lint-install profiles.yml
	@mkdir -p $(LINT_DIR)
	@echo "lint: dbt-bouncer (rules in dbt-bouncer.yml)"
	@if [ ! -x $(BIN)/dbt-bouncer ]; then \
	  echo "lint: FAILED - dbt-bouncer is not installed: it needs Python 3.11+ (make lint-install)"; \
	  exit 1; fi
	@if [ -z "$(LINT_PARSED)" ] || [ ! -f $(LINT_DIR)/dbt/manifest.json ]; then \
	  DBT_TARGET_PATH=$(LINT_DIR)/dbt $(DBT) --quiet parse --no-partial-parse --target $(TARGET); fi
	@COLUMNS=160 $(BIN)/dbt-bouncer run --config-file dbt-bouncer.yml

# The docs site in a real browser (needs chromium; skipped without it, a failure with CI=true).
docs-test: install
	$(BIN)/python -m pytest -q tests/integration/test_docs_site.py

# When the loader last landed each kind of export (thresholds in models/staging/aktu/_aktu__sources.yml).
freshness: install profiles.yml
	$(DBT) source freshness --target $(TARGET)

# Slim CI (.github/workflows/pr.yml): build and test only what changed against the manifest in
# $(STATE) and everything downstream of it, reading unchanged parents from the relations that
# manifest describes (--defer). Without a manifest there, everything is built. Eager: a test of a
# changed model runs even when its other side is an unchanged, deferred relation.
STATE ?= prod-artifacts
slim-build: install profiles.yml
	@if [ -f "$(STATE)/manifest.json" ]; then \
	  echo "slim-build: state:modified+ against $(STATE)/manifest.json"; \
	  $(DBT) build --target $(TARGET) --select state:modified+ --defer --state $(STATE) \
	    --indirect-selection eager; \
	else \
	  echo "slim-build: no $(STATE)/manifest.json - building everything"; \
	  $(DBT) build --target $(TARGET); \
	fi

define SQLFLUFF_REPORT
import collections, json, os, sys
out, log, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(log, encoding="utf-8", errors="replace").read()
try:
    results = json.load(open(out, encoding="utf-8"))
except ValueError:
    sys.exit("lint: sqlfluff did not finish (exit %d):\n%s" % (rc, text[-4000:]))
skipped = [line.strip() for line in text.splitlines()
           if ("Skipped file" in line or "Skipping" in line) and "is disabled" not in line]
gha = os.environ.get("GITHUB_ACTIONS") == "true"
failing = collections.OrderedDict()
for f in results:
    for v in f["violations"]:
        where = "%s:%s:%s" % (f["filepath"], v["start_line_no"], v["start_line_pos"])
        print("%s: %s %s [%s]" % (where, v["code"], v["description"], v.get("name", "")))
        if gha:
            print("::error file=%s,line=%s,col=%s,title=sqlfluff %s::%s" % (
                f["filepath"], v["start_line_no"], v["start_line_pos"], v["code"], v["description"]))
        failing.setdefault(f["filepath"], collections.Counter())[v["code"]] += 1
for line in skipped:
    print("lint: NOT LINTED - " + line)
print("sqlfluff: %d files linted, %d clean, %d failing, %d skipped" % (
    len(results), len(results) - len(failing), len(failing), len(skipped)))
for path, codes in failing.items():
    print("  FAIL %s  %s" % (path, ", ".join("%s x%d" % kv for kv in sorted(codes.items()))))
if failing or skipped or rc not in (0, 1):
    sys.exit(1)
endef
export SQLFLUFF_REPORT

define VARS_DOCUMENTED
import glob, sys, yaml
names = (yaml.safe_load(open("dbt_project.yml")).get("vars") or {}).keys()
pages = glob.glob("docs/**/*.md", recursive=True) + glob.glob("models/**/*.md", recursive=True)
text = "".join(open(p, encoding="utf-8").read() for p in pages)
missing = [n for n in names if n not in text]
for n in missing:
    print("  FAIL var %s: in dbt_project.yml but on no docs page (docs/*.md)" % n)
print("vars: %d in dbt_project.yml, %d explained on a docs page" % (len(names), len(names) - len(missing)))
sys.exit(1 if missing else 0)
endef
export VARS_DOCUMENTED

# Column names say what a column holds (CONTRIBUTING.md, "Column names"), checked on every
# documented column of every model and seed in the manifest: booleans is_/has_, dates _date,
# timestamps _at, and a count of students student_count or <who>_student_count.
define COLUMN_NAMES
import json, re, sys
rules = [
    ("a boolean starts with is_ or has_", lambda n, t: t != "boolean" or re.match(r"(is|has)_", n)),
    ("a date ends in _date", lambda n, t: t != "date" or n.endswith("_date") or n == "dob"),
    ("a timestamp ends in _at", lambda n, t: not re.match(r"(timestamp|datetime)", t) or n.endswith("_at")),
    ("a count of students is student_count or <who>_student_count",
     lambda n, t: not re.search(r"(^|_)students($$|_)", n)),
]
nodes = json.load(open(sys.argv[1]))["nodes"].values()
failed = checked = 0
for node in nodes:
    if node["resource_type"] not in ("model", "seed"):
        continue
    for name, column in node["columns"].items():
        checked += 1
        for rule, holds in rules:
            if not holds(name, (column.get("data_type") or "").lower()):
                failed += 1
                print("  FAIL %s.%s: %s" % (node["name"], name, rule))
print("column names: %d documented columns, %d breaking a naming rule" % (checked, failed))
sys.exit(1 if failed else 0)
endef
export COLUMN_NAMES

# --- Apache Spark (docs/spark.md) ----------------------------------------------------------------
#   make install-spark   the spark extra (dbt-spark + pyspark, ~350 MB) on top of the base install
#   make test-spark      the Spark tier alone (tests/integration/test_spark.py; needs Java 17)
#   make demo TARGET=spark   the demo on a local Spark (warehouse and metastore in spark_dw/)
$(BIN)/.installed-spark: $(BIN)/.installed pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,spark]"
	touch $@

install-spark: $(BIN)/.installed-spark

test-spark: install-spark
	$(BIN)/python -m pytest tests/integration/test_spark.py

bench-load-spark: install-spark
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[bench,spark]"
	$(BIN)/python bench/bench_load.py --rows $(BENCH_ROWS) --spark
