# The project's vocabulary. `make run` and `make test` do all set-up themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
RASA := $(PYTHON) -m rasa
MODEL := models/shop-support.tar.gz
SPACY_PIPELINE := build/spacy/en_shop_support/build-fingerprint.json
FAQ_DATA := data/nlu/faq.generated.yml
EVAL_DIR ?= ../shared/eval

export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

TRAINING_INPUTS := config.yml domain.yml $(SPACY_PIPELINE) $(FAQ_DATA) \
	$(filter-out $(FAQ_DATA),$(shell find data -name '*.yml' 2>/dev/null))
KNOWLEDGE_INPUTS := $(shell find knowledge -type f 2>/dev/null) $(wildcard bot/knowledge/*.py)
WIDGET_DIR := bot/service/widget
WIDGET := build/widget/widget.js
WIDGET_MODULES := $(WIDGET_DIR)/node_modules/.package-lock.json

.PHONY: help setup build train widget run run-prod nginx bench shell test browser lint eval db-upgrade seed-demo lock clean

help: ## Show this list
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

setup: $(VENV)/.installed ## Install Python 3.9/3.10 if needed and the locked dependencies into .venv

$(VENV)/.installed: requirements.lock scripts/setup-venv.sh scripts/provision-python.sh
	@scripts/setup-venv.sh
	@touch $@

$(SPACY_PIPELINE): $(VENV)/.installed bot/nlp/pipeline.py
	@echo "[build] spaCy pipeline"
	@$(PYTHON) -m bot nlp build

$(FAQ_DATA): $(VENV)/.installed $(KNOWLEDGE_INPUTS)
	@echo "[build] FAQ training data and answers from knowledge/"
	@$(PYTHON) -m bot knowledge build

build: $(SPACY_PIPELINE) $(FAQ_DATA) ## Build the spaCy pipeline and the FAQ data from knowledge/

$(MODEL): $(TRAINING_INPUTS)
	@echo "[train] training the Rasa model (a few minutes on 2 cores)"
	@$(RASA) train --fixed-model-name shop-support --out models --num-threads 2
	@touch $@

train: build $(MODEL) ## Train the model when config, domain, data or knowledge changed

$(WIDGET_MODULES): $(WIDGET_DIR)/package.json $(WIDGET_DIR)/package-lock.json
	@echo "[build] npm ci for the chat widget"
	@cd $(WIDGET_DIR) && npm ci --no-audit --no-fund
	@touch $@

$(WIDGET): $(WIDGET_MODULES) $(shell find $(WIDGET_DIR)/src -type f 2>/dev/null)
	@echo "[build] chat widget"
	@cd $(WIDGET_DIR) && npm run --silent build

widget: $(WIDGET) ## Bundle the website chat widget into build/widget/ (npm ci + esbuild)

run: train widget ## Start the assistant on embedded defaults (Ctrl-C stops it)
	@$(PYTHON) -m bot run

nginx: ## Install Debian's nginx for the production layout
	@scripts/install-nginx.sh

run-prod: train widget nginx ## Start the production layout: 2 Rasa replicas behind nginx on PostgreSQL, Redis, RabbitMQ (Ctrl-C stops it)
	@$(PYTHON) -m bot prod-env
	@set -a && . $${BOT_VAR_DIR:-var}/prod.env && set +a && $(PYTHON) -m bot run-prod

shell: train ## Chat with the assistant in the terminal
	@$(PYTHON) -m bot shell

browser: ## Install Debian's Chromium for the agent console's browser test
	@scripts/install-browser.sh

test: train lint browser nginx widget ## Run every test: lint, unit, data, conversations, NLU hold-out, browser
	@$(PYTHON) -m pytest

lint: $(VENV)/.installed ## Ruff and mypy
	@$(PYTHON) -m ruff check bot actions tests alembic
	@$(PYTHON) -m mypy

bench: train widget ## Load benchmark: starter bot vs ours with 1 and 2 replicas (results/bench; BENCH_ARGS=…)
	@scripts/install-nginx.sh
	@$(PYTHON) -m bot bench $(BENCH_ARGS)

eval: train ## Evaluate NLU on the CSV files in EVAL_DIR (default ../shared/eval)
	@$(PYTHON) -m bot eval nlu $(EVAL_DIR)/*.csv

db-upgrade: $(VENV)/.installed ## Apply database migrations
	@$(PYTHON) -m bot db upgrade

seed-demo: $(VENV)/.installed ## Fill the database with the demo shop
	@$(PYTHON) -m bot seed-demo

lock: ## Re-pin requirements.in into requirements.lock
	@uv pip compile --universal --python-version 3.9 requirements.in -o requirements.lock

clean: ## Remove build outputs and models (keeps var/ state)
	rm -rf build models results $(FAQ_DATA)
