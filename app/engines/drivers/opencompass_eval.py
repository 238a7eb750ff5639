"""Run one EvalHub evaluation with OpenCompass: ``python opencompass_eval.py <config.json>``.

Runs in OpenCompass's own virtualenv (never imports ``app``). Writes an OpenCompass config file next to
config.json and runs OpenCompass in this process (``--debug``: no extra process per task, ~13 s each), in the
run's work directory (OpenCompass writes tmp/ and caches into its cwd). The outputs go to ``<work>/out/evalhub``
whatever happens, so running again reuses what is finished (``-r evalhub``) and continues an interrupted
inference from its ``tmp_`` predictions. The model's API key arrives in OPENAI_API_KEY (``key='ENV'``), never in
a file.
"""
from __future__ import annotations

import json
import os
import sys

from lifeline import exit_with_parent  # this script's own directory

CONFIG = '''\
from opencompass.models import OpenAISDK
from opencompass.partitioners import NaivePartitioner
from opencompass.runners import LocalRunner
from opencompass.tasks import OpenICLEvalTask, OpenICLInferTask

api_meta_template = dict(round=[dict(role='HUMAN', api_role='HUMAN'),
                                dict(role='BOT', api_role='BOT', generate=True)])
models = [dict(type=OpenAISDK, meta_template=api_meta_template, key='ENV', **{model!r})]
datasets = {datasets!r}
infer = dict(partitioner=dict(type=NaivePartitioner),
             runner=dict(type=LocalRunner, max_num_workers=1, task=dict(type=OpenICLInferTask)))
eval = dict(partitioner=dict(type=NaivePartitioner),
            runner=dict(type=LocalRunner, max_num_workers=1, task=dict(type=OpenICLEvalTask)))
'''


def write_tokenizer(path: str) -> None:
    """A whitespace word-level tokenizer: OpenAISDK counts prompt tokens with a local HF tokenizer (offline)."""
    if os.path.exists(os.path.join(path, "tokenizer.json")):
        return
    from tokenizers import Tokenizer, models, pre_tokenizers
    os.makedirs(path, exist_ok=True)
    tokenizer = Tokenizer(models.WordLevel(vocab={"[UNK]": 0}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(os.path.join(path, "tokenizer.json"))
    with open(os.path.join(path, "tokenizer_config.json"), "w") as fh:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "[UNK]",
                   "model_max_length": 10**9}, fh)


def main(path: str) -> int:
    exit_with_parent()
    work = os.path.dirname(os.path.abspath(path))
    with open(path) as fh:
        cfg = json.load(fh)
    tokenizer = os.path.join(work, "tokenizer")
    write_tokenizer(tokenizer)
    model = dict(cfg["model"], tokenizer_path=tokenizer)
    config_py = os.path.join(work, "opencompass_config.py")
    with open(config_py, "w") as fh:
        fh.write(CONFIG.format(model=model, datasets=cfg["datasets"]))
    os.chdir(work)
    sys.argv = ["opencompass", config_py, "-w", os.path.join(work, "out"), "-r", "evalhub", "--debug"]
    print("[evalhub-driver] opencompass " + " ".join(sys.argv[1:]), flush=True)
    from opencompass.cli.main import main as opencompass_main
    opencompass_main()
    print("[evalhub-driver] done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
