"""Run one EvalHub evaluation with OpenCompass: ``python opencompass_eval.py <config.json>``.

Runs in OpenCompass's own virtualenv (never imports ``app``). Writes an OpenCompass config file next to
config.json and runs OpenCompass in this process (``--debug``: no extra process per task, ~13 s each), in the
run's work directory (OpenCompass writes tmp/ and caches into its cwd). The outputs go to ``<work>/out/evalhub``
whatever happens, so running again reuses what is finished (``-r evalhub``) and continues an interrupted
inference from its ``tmp_`` predictions. The model's API key arrives in OPENAI_API_KEY (``key='ENV'``), the judge's
in EVALHUB_JUDGE_API_KEY (``opencompass_judge.JudgeOpenAISDK``), never in a file.

A dataset marked ``"judged"`` (QA) is scored by the run's judge model with OpenCompass's GenericLLMEvaluator and
the judge prompt of config.json (``{question}``, ``{obj_gold}``, ``{prediction}``); the others by rule.
"""
from __future__ import annotations

import json
import os
import sys

from lifeline import exit_with_parent  # this script's own directory
from no_redirects import refuse_redirects

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
OC = "opencompass.openicl."
API_META = dict(round=[dict(role='HUMAN', api_role='HUMAN'), dict(role='BOT', api_role='BOT', generate=True)])


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


def judged_dataset(dataset: dict, cfg: dict, tokenizer: str) -> dict:
    """The full OpenCompass config of a QA dataset scored by the judge, what ``make_qa_gen_config`` builds for a
    custom dataset but for its evaluator. Types are dotted names: the config file stays data (no lazy imports)."""
    reader = dict(input_columns=["question"], output_column="answer")
    source = dict(type="opencompass.datasets.custom.CustomDataset", abbr=dataset["abbr"], path=dataset["path"],
                  reader_cfg=reader)
    template = dict(round=[dict(role="HUMAN", prompt=dataset.get("human_prompt", "{question}")),
                           dict(role="BOT", prompt="{answer}")])
    evaluator = dict(
        type="opencompass.evaluator.generic_llm_evaluator.GenericLLMEvaluator",
        prompt_template=dict(type=OC + "icl_prompt_template.PromptTemplate",
                             template=dict(round=[dict(role="HUMAN", prompt=cfg["judge_prompt"])])),
        judge_cfg=dict(cfg["judge"], type="opencompass_judge.JudgeOpenAISDK", meta_template=API_META,
                       tokenizer_path=tokenizer),
        dataset_cfg=source, dict_postprocessor=dict(type="opencompass_judge.judge_verdicts"))
    infer = dict(prompt_template=dict(type=OC + "icl_prompt_template.PromptTemplate", template=template),
                 retriever=dict(type=OC + "icl_retriever.icl_zero_retriever.ZeroRetriever"),
                 inferencer=dict(type=OC + "icl_inferencer.icl_gen_inferencer.GenInferencer"))
    return dict(source, infer_cfg=infer, eval_cfg=dict(evaluator=evaluator, pred_role="BOT"))


def main(path: str) -> int:
    exit_with_parent()
    refuse_redirects()  # a model's 3xx never leads the engine elsewhere
    work = os.path.dirname(os.path.abspath(path))
    with open(path) as fh:
        cfg = json.load(fh)
    tokenizer = os.path.join(work, "tokenizer")
    write_tokenizer(tokenizer)
    model = dict(cfg["model"], tokenizer_path=tokenizer)
    config_py = os.path.join(work, "opencompass_config.py")
    with open(config_py, "w") as fh:
        datasets = [judged_dataset(d, cfg, tokenizer) if d.get("judged") else d for d in cfg["datasets"]]
        fh.write(CONFIG.format(model=model, datasets=datasets))
    os.chdir(work)
    sys.argv = ["opencompass", config_py, "-w", os.path.join(work, "out"), "-r", "evalhub", "--debug",
                "-m", cfg.get("mode", "all")]  # infer: answers only (EvalHub's answers stage), judged later
    print("[evalhub-driver] opencompass " + " ".join(sys.argv[1:]), flush=True)
    from opencompass.cli.main import main as opencompass_main
    opencompass_main()
    print("[evalhub-driver] done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
