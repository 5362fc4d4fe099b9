"""PyTorch's outputs and gradients for SluiceNeural's parity tests.

Run with the peers venv (torch from PyPI):
    ~/.cache/sluice-peers/bin/python Tests/SluiceNeuralTests/Scripts/make_expectations.py

Each case draws its inputs and weights from a seeded NumPy generator, runs the PyTorch layer
in float64, and back-propagates the loss L = sum(y * r) for a fixed random r (so dL/dy = r).
Weights are written in Sluice's layouts: Dense W is (inputs x units) = torch weight.T;
Conv2D inputs are NHWC and W is (kh*kw*cin x filters); LSTM/GRU Wx = weight_ih.T,
Wh = weight_hh.T (LSTM b = b_ih + b_hh; GRU keeps bx = b_ih and bh = b_hh).
"""
import json
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(12)
out = {}


def arr(t):
    return np.asarray(t.detach().numpy() if isinstance(t, torch.Tensor) else t, dtype=np.float64).ravel().tolist()


def draw(*shape, scale=1.0):
    return rng.uniform(-1, 1, size=shape) * scale


def backprop(y):
    r = torch.tensor(draw(*y.shape))
    (y * r).sum().backward()
    return r


# Dense
x = torch.tensor(draw(4, 5), requires_grad=True)
lin = torch.nn.Linear(5, 3)
with torch.no_grad():
    lin.weight.copy_(torch.tensor(draw(3, 5)))
    lin.bias.copy_(torch.tensor(draw(3)))
y = lin(x)
r = backprop(y)
out["dense"] = dict(input_shape=[5], batch=4, x=arr(x), params=[arr(lin.weight.T), arr(lin.bias)], y=arr(y), r=arr(r),
                    dx=arr(x.grad), grads=[arr(lin.weight.grad.T), arr(lin.bias.grad)])

# Conv2D (NHWC in Sluice, NCHW in torch)
for name, (h, w, cin, cout, k, stride, padding) in {
    "conv2d_valid": (6, 6, 2, 4, 3, 1, "valid"),
    "conv2d_same": (5, 6, 2, 3, 3, 1, "same"),
    "conv2d_stride2": (7, 7, 3, 2, 3, 2, "valid"),
}.items():
    xn = draw(2, h, w, cin)
    x = torch.tensor(xn.transpose(0, 3, 1, 2).copy(), requires_grad=True)
    conv = torch.nn.Conv2d(cin, cout, k, stride=stride, padding=padding)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(draw(cout, cin, k, k)))
        conv.bias.copy_(torch.tensor(draw(cout)))
    y = conv(x)
    r = backprop(y)
    nhwc = lambda t: t.permute(0, 2, 3, 1)
    wk = lambda t: t.permute(2, 3, 1, 0).reshape(k * k * cin, cout)
    out[name] = dict(input_shape=[h, w, cin], batch=2, filters=cout, kernel=k, stride=stride, padding=padding,
                     x=arr(nhwc(x)), params=[arr(wk(conv.weight)), arr(conv.bias)], y=arr(nhwc(y)),
                     r=arr(r.permute(0, 2, 3, 1)), dx=arr(nhwc(x.grad)), grads=[arr(wk(conv.weight.grad)), arr(conv.bias.grad)])

# LSTM and GRU, last output and full sequence
for cell in ["lstm", "gru"]:
    for seq in [False, True]:
        n, t, f, hid = 3, 5, 4, 6
        x = torch.tensor(draw(n, t, f), requires_grad=True)
        layer = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(f, hid, batch_first=True)
        with torch.no_grad():
            for p in layer.parameters():
                p.copy_(torch.tensor(draw(*p.shape, scale=0.5)))
        ys, _ = layer(x)
        y = ys if seq else ys[:, -1, :]
        r = backprop(y)
        wih, whh, bih, bhh = layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0
        if cell == "lstm":
            params = [arr(wih.T), arr(whh.T), arr(bih + bhh)]
            grads = [arr(wih.grad.T), arr(whh.grad.T), arr(bih.grad)]
        else:
            params = [arr(wih.T), arr(whh.T), arr(bih), arr(bhh)]
            grads = [arr(wih.grad.T), arr(whh.grad.T), arr(bih.grad), arr(bhh.grad)]
        out[f"{cell}_{'sequence' if seq else 'last'}"] = dict(
            input_shape=[t, f], batch=n, units=hid, return_sequences=seq, x=arr(x), params=params, y=arr(y), r=arr(r),
            dx=arr(x.grad), grads=grads)

# BatchNormalization: training (batch statistics, running update) and inference
c = 4
x = torch.tensor(draw(6, c) * 2 + 0.5, requires_grad=True)
bn = torch.nn.BatchNorm1d(c, momentum=0.1, eps=1e-5)
with torch.no_grad():
    bn.weight.copy_(torch.tensor(draw(c)))
    bn.bias.copy_(torch.tensor(draw(c)))
    bn.running_mean.copy_(torch.tensor(draw(c)))
    bn.running_var.copy_(torch.tensor(rng.uniform(0.5, 2, size=c)))
start = [arr(bn.weight), arr(bn.bias), arr(bn.running_mean), arr(bn.running_var)]
bn.train()
y = bn(x)
r = backprop(y)
out["batchnorm_train"] = dict(input_shape=[c], batch=6, x=arr(x), params=start, y=arr(y), r=arr(r), dx=arr(x.grad),
                              grads=[arr(bn.weight.grad), arr(bn.bias.grad)],
                              running=[arr(bn.running_mean), arr(bn.running_var)])
bn.eval()
x2 = torch.tensor(draw(3, c), requires_grad=True)
y2 = bn(x2)
out["batchnorm_eval"] = dict(input_shape=[c], batch=3, x=arr(x2),
                             params=[arr(bn.weight), arr(bn.bias), arr(bn.running_mean), arr(bn.running_var)], y=arr(y2))

# Embedding
emb = torch.nn.Embedding(7, 3)
with torch.no_grad():
    emb.weight.copy_(torch.tensor(draw(7, 3)))
idx = torch.tensor([[0, 3, 3, 6], [1, 0, 5, 3]])
y = emb(idx)
r = backprop(y)
out["embedding"] = dict(input_shape=[4], batch=2, x=arr(idx.double()), params=[arr(emb.weight)], y=arr(y), r=arr(r),
                        grads=[arr(emb.weight.grad)])

# Losses: cross-entropy with class weights, binary cross-entropy with logits, MSE
z = torch.tensor(draw(5, 3) * 3, requires_grad=True)
labels = torch.tensor([0, 2, 1, 2, 2])
cw = torch.tensor([1.0, 2.0, 0.5])
loss = torch.nn.functional.cross_entropy(z, labels, weight=cw)
loss.backward()
out["cross_entropy_weighted"] = dict(z=arr(z), labels=labels.tolist(), weights=arr(cw[labels]), loss=loss.item(), grad=arr(z.grad))
z = torch.tensor(draw(6, 1) * 3, requires_grad=True)
yb = torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0], [0.0]])
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, yb)
loss.backward()
out["binary_cross_entropy"] = dict(z=arr(z), labels=[int(v) for v in arr(yb)], loss=loss.item(), grad=arr(z.grad))

# Optimizers: three steps on one parameter with fixed gradients
for name, make in {
    "adam": lambda p: torch.optim.Adam([p], lr=0.01),
    "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.1),
    "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "rmsprop": lambda p: torch.optim.RMSprop([p], lr=0.01),
}.items():
    p = torch.nn.Parameter(torch.tensor(draw(2, 3)))
    start = arr(p)
    opt = make(p)
    gs = [draw(2, 3) for _ in range(3)]
    for g in gs:
        opt.zero_grad()
        p.grad = torch.tensor(g)
        opt.step()
    out[f"optimizer_{name}"] = dict(start=start, gradients=[arr(g) for g in gs], end=arr(p))

path = os.path.join(os.path.dirname(__file__), "..", "Expectations", "torch.json")
with open(path, "w") as f:
    json.dump(out, f, indent=None, sort_keys=True)
print("wrote", os.path.normpath(path), "torch", torch.__version__)
