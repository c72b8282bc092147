# Two commands for a newcomer:  `make run`  (gateway on embedded defaults)  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test install check

$(BIN)/gateway: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/gateway

install: $(BIN)/gateway

run: install
	$(BIN)/gateway db upgrade
	$(BIN)/gateway config load config/forums.demo.yaml
	$(BIN)/gateway serve

test: install
	$(BIN)/pytest
