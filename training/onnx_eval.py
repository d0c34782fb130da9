"""A small numpy interpreter for the ONNX graphs training/ exports (float32, NCHW), written from the operator
specs, to check an export without onnxruntime: Conv (strided too), Relu, Tanh, Sigmoid, Clip, Concat, Add, Sub, Mul
(numpy broadcasting is ONNX's multidirectional one), Pad (constant/edge), DepthToSpace (CRD/DCR), SpaceToDepth,
Slice, Constant. Anything else raises, so a check cannot pass by skipping.
"""
import numpy as np
from onnx import helper, numpy_helper


def _attrs(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, pads, strides, group, dilations):
    if group != 1 or any(d != 1 for d in dilations):
        raise NotImplementedError("Conv with groups or dilation")
    t, l, bo, r = pads
    x = np.pad(x, ((0, 0), (0, 0), (t, bo), (l, r)))
    kh, kw = w.shape[2:]
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, :: strides[0], :: strides[1]]
    y = np.einsum("nchwij,ocij->nohw", win, w, optimize=True)
    return y + b[None, :, None, None] if b is not None else y


def _depth_to_space(x, r, mode):
    n, c, h, w = x.shape
    if mode == "CRD":
        y = x.reshape(n, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3)
    else:
        y = x.reshape(n, r, r, c // (r * r), h, w).transpose(0, 3, 4, 1, 5, 2)
    return y.reshape(n, c // (r * r), h * r, w * r)


def _space_to_depth(x, r):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // r, r, w // r, r).transpose(0, 3, 5, 1, 2, 4).reshape(n, c * r * r, h // r, w // r)


def _slice(x, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    idx = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        idx[int(a)] = slice(int(s), int(min(e, np.iinfo(np.int64).max)), int(st))
    return x[tuple(idx)]


def run_node(node, ins):
    a, op = _attrs(node), node.op_type
    if op == "Constant":
        return numpy_helper.to_array(a["value"])
    if op == "Conv":
        w = ins[1]
        k = len(w.shape) - 2
        return _conv(ins[0], w, ins[2] if len(ins) > 2 else None, a.get("pads", [0] * 2 * k),
                     a.get("strides", [1] * k), a.get("group", 1), a.get("dilations", [1] * k))
    if op == "Relu":
        return np.maximum(ins[0], 0)
    if op == "Tanh":
        return np.tanh(ins[0])
    if op == "Sigmoid":  # 1 / (1 + exp(-x)), written so that no exp overflows
        return 0.5 * (1 + np.tanh(0.5 * ins[0]))
    if op == "Clip":
        lo = ins[1] if len(ins) > 1 and ins[1] is not None else -np.inf
        hi = ins[2] if len(ins) > 2 and ins[2] is not None else np.inf
        return np.clip(ins[0], lo, hi)
    if op == "Concat":
        return np.concatenate(ins, axis=a["axis"])
    if op == "Add":
        return ins[0] + ins[1]
    if op == "Sub":
        return ins[0] - ins[1]
    if op == "Mul":
        return ins[0] * ins[1]
    if op == "Pad":
        p = ins[1].astype(np.int64)
        nd = ins[0].ndim
        widths = [(int(p[i]), int(p[i + nd])) for i in range(nd)]
        mode = a.get("mode", b"constant").decode()
        if mode == "constant":
            return np.pad(ins[0], widths, constant_values=ins[2] if len(ins) > 2 else 0)
        if mode == "edge":
            return np.pad(ins[0], widths, mode="edge")
        raise NotImplementedError(f"Pad mode {mode}")
    if op == "DepthToSpace":
        return _depth_to_space(ins[0], a["blocksize"], a.get("mode", b"DCR").decode())
    if op == "SpaceToDepth":
        return _space_to_depth(ins[0], a["blocksize"])
    if op == "Slice":
        return _slice(ins[0], *ins[1:])
    raise NotImplementedError(f"onnx_eval: no {op}")


def run_graph(model, feeds: dict) -> dict:
    """Evaluate model.graph on float32 feeds; returns its outputs by name (computed in float64)."""
    env = {i.name: numpy_helper.to_array(i).astype(np.float64) if numpy_helper.to_array(i).dtype.kind == "f"
           else numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update({k: np.asarray(v, np.float64) for k, v in feeds.items()})
    for node in model.graph.node:
        out = run_node(node, [env[i] if i else None for i in node.input])
        env[node.output[0]] = out
    return {o.name: env[o.name].astype(np.float32) for o in model.graph.output}
