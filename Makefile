# Two commands do everything on a fresh clone:
#   make demo   virtualenv + install, sample data, load, dbt build on DuckDB, docs site, correlation
#   make test   every test (DuckDB always; MariaDB/MySQL on 127.0.0.1:3306 unless AKTU_DB_* say otherwise)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE_DIR ?= data/sample
SAMPLE_STUDENTS ?= 300
SAMPLE_SEED ?= 42
TARGET ?= duckdb
DBT := $(BIN)/dbt

.PHONY: demo test install load build docs serve-docs clean bench-load

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
	@echo "warehouse:        $${AKTU_DUCKDB_PATH:-aktu_dw.duckdb} (DuckDB; schemas aktu_dw_raw, aktu_dw_staging, aktu_dw_intermediate, aktu_dw_marts)"
	@echo "docs site:        target/static_index.html (one file: open it in a browser), or 'make serve-docs'"
	@echo "overall correlation (attendance vs total marks) is the pearson_r above."

serve-docs: docs
	$(DBT) docs serve --target $(TARGET)

test: install
	$(BIN)/python -m pytest

BENCH_ROWS ?= 1000000
bench-load: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[bench]"
	$(BIN)/python bench/bench_load.py --rows $(BENCH_ROWS) --memory-check

clean:
	rm -rf target logs $(SAMPLE_DIR) aktu_dw.duckdb
