"""Human labels (#14 item 6): a person's verdict and note per sample, a review walk over random samples, and the
judge–human agreement (rate and Cohen's κ) a team reads before trusting the judge."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import EvalRun, EvalSample

JUDGE = ["correct"] * 12 + ["wrong"] * 8
HUMAN = ["correct"] * 10 + ["wrong"] * 2 + ["wrong"] * 6 + ["correct"] * 2  # agree on 16 of 20


def judged_run(owner, n: int = 30) -> EvalRun:
    """A finished QA run judged by "Judge": 30 answered samples, the first 20 with the verdicts in JUDGE."""
    run = EvalRun(owner_id=owner.id, endpoint_name="QA bot", judge_name="Judge", status="succeeded",
                  params={"datasets": [{"dataset_id": 1, "name": "QA", "format": "qa", "samples": n}]})
    db.session.add(run)
    db.session.flush()
    for i in range(n):
        verdict = JUDGE[i] if i < len(JUDGE) else "correct"
        db.session.add(EvalSample(run_id=run.id, dataset_id=1, dataset_name="QA", subset="facts", position=i,
                                  question=f"[Q{i}] Name thing {i}.", reference=f"thing-{i}",
                                  prediction=f"It is thing-{i}.", verdict=verdict, decided_by="judge",
                                  score=1.0 if verdict == "correct" else 0.0))
    db.session.commit()
    return run


def ordered(run_id: int) -> list[EvalSample]:
    return db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run_id)
                              .order_by(EvalSample.position)).all()


def test_twenty_labels_give_the_agreement_and_kappa_computed_by_hand(client, user, api_headers):
    run = judged_run(user)
    samples = ordered(run.id)
    headers = api_headers(user)
    for sample, human in zip(samples, HUMAN):
        r = client.post(f"/api/v1/evals/{run.id}/samples/{sample.id}/label", headers=headers,
                        json={"verdict": human, "note": "checked by hand"})
        assert r.status_code == 200 and r.get_json()["human_verdict"] == human
    r = client.post(f"/api/v1/evals/{run.id}/samples/{samples[25].id}/label", headers=headers,
                    json={"verdict": "unsure", "note": "ambiguous"})
    assert r.status_code == 200  # unsure is kept but not counted in the agreement
    # by hand: p_o = 16/20; judge says correct 12/20, people 12/20 → p_e = 0.6² + 0.4² = 0.52
    kappa = (0.8 - 0.52) / (1 - 0.52)
    agreement = client.get(f"/api/v1/evals/{run.id}", headers=headers).get_json()["agreement"]
    assert agreement == [{"decider": "judge", "name": "Judge", "n": 20, "agreement": pytest.approx(0.8),
                          "kappa": pytest.approx(kappa)}]
    page = client.get(f"/evals/{run.id}").data.decode()
    assert "80.0%" in page and f"{kappa:.3f}" in page and "21 samples labelled" in page


def test_labels_refuse_bad_input_and_foreign_runs(client, user, make_user, api_headers):
    run = judged_run(user, 3)
    sample = ordered(run.id)[0]
    headers = api_headers(user)
    url = f"/api/v1/evals/{run.id}/samples/{sample.id}/label"
    r = client.post(url, headers=headers, json={"verdict": "maybe", "note": 3})
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"verdict", "note"}
    r = client.post(url, headers=headers, json={"verdict": "wrong", "note": "x" * 2001})
    assert r.status_code == 422
    assert client.post(url, headers=api_headers(make_user("bob")), json={"verdict": "wrong"}).status_code == 404
    other = judged_run(user, 1)
    r = client.post(f"/api/v1/evals/{other.id}/samples/{sample.id}/label", headers=headers, json={"verdict": "wrong"})
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(EvalSample, sample.id).human_verdict is None  # nothing changed


def test_review_walks_n_random_samples_and_labels_each(client, user, api_headers):
    run = judged_run(user)
    first = client.get(f"/evals/{run.id}/review?n=5").data.decode()
    assert "sample 1 of 5" in first and 'name="seed"' in first  # a new walk, its seed kept in the form
    walk = client.get(f"/api/v1/evals/{run.id}/review?n=5&seed=7", headers=api_headers(user)).get_json()
    ids = [s["id"] for s in walk["items"]]
    assert len(set(ids)) == 5 and walk["seed"] == 7
    for step, sample_id in enumerate(ids):
        page = client.get(f"/evals/{run.id}/review?n=5&seed=7&step={step}").data.decode()
        assert f"sample {step + 1} of 5" in page and f"/samples/{sample_id}/label" in page
        r = client.post(f"/evals/{run.id}/samples/{sample_id}/label",
                        data={"human_verdict": "wrong", "human_note": "", "seed": 7, "step": step, "n": 5})
        assert r.status_code == 302 and f"step={step + 1}" in r.headers["Location"]
    assert client.get(f"/evals/{run.id}/review?n=5&seed=7&step=5").status_code == 302  # done: back to the run
    labelled = db.session.scalars(sa.select(EvalSample.id).where(EvalSample.human_verdict == "wrong")).all()
    assert sorted(labelled) == sorted(ids)
