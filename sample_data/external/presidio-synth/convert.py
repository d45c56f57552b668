"""Rewrite held_out.jsonl from presidio-research's synth_dataset_v2.json.

    python sample_data/external/presidio-synth/convert.py PATH/TO/synth_dataset_v2.json
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(source: str) -> None:
    rows = json.loads(Path(source).read_text(encoding="utf-8"))
    with open(HERE / "held_out.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            if r["template_id"] % 5:  # the other templates are the part the pii step was tuned on
                continue
            f.write(json.dumps({
                "messages": [{"role": "user", "content": r["full_text"]},
                             {"role": "assistant", "content": "Thank you, I have noted that."}],
                "pii_spans": [{"entity": s["entity_type"], "start": s["start_position"], "end": s["end_position"]}
                              for s in r["spans"]],
                "template_id": r["template_id"],
            }) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
