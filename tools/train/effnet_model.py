"""The classifier the engine runs (FORMAT.md, kind efficientnet) as a PyTorch training model.

Built from torchvision 0.14's own EfficientNet pieces so the state_dict keeps torchvision's
names (`features.*`, `classifier.1.*`) and the converter in tools/convert can read it; the
AutoAtt gate is one extra module `att` (1x1 conv C->1, sigmoid, multiply) after a block.
"""

import torch
from torch import nn
from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf

BN_EPS = 1e-5  # torchvision's B-series default (nn.BatchNorm2d); the converter folds with it


def make_arch(width_mult=1.0, depth_mult=1.0, attention="stage3", head=1280, variant="custom"):
    """Returns the FORMAT.md `arch` dict. attention: "stage3" (the AutoAtt place: after the last
    block of stage 3, stride 8), "none", or an explicit block index."""
    if attention == "none":
        att = -1
    elif attention == "stage3":
        att = stage_block_ranges(width_mult, depth_mult)[2][1] - 1
    else:
        att = int(attention)
    return {"family": "efficientnet", "variant": variant, "width_mult": float(width_mult),
            "depth_mult": float(depth_mult), "padding": "symmetric",
            "attention_after_block": att, "head": int(head)}


def _settings(width_mult, depth_mult):
    setting, last_channel = _efficientnet_conf("efficientnet_b0", width_mult=width_mult,
                                               depth_mult=depth_mult)
    return setting, last_channel


def stage_block_ranges(width_mult, depth_mult):
    """[(first, end)] global block indices for stages 1..7."""
    setting, _ = _settings(width_mult, depth_mult)
    out, start = [], 0
    for cnf in setting:
        out.append((start, start + cnf.num_layers))
        start += cnf.num_layers
    return out


class EffNetClassifier(nn.Module):
    """torchvision EfficientNet (one logit) with an optional AutoAtt gate.

    forward(x) -> logit [N]; forward(x, return_att=True) -> (logit, att map [N,1,h,w] or None).
    """

    def __init__(self, arch, dropout=0.2, stochastic_depth=0.1):
        super().__init__()
        if arch.get("padding", "symmetric") != "symmetric":
            raise ValueError("only torchvision ('symmetric') padding can be trained here")
        if int(arch.get("head", 1280)) != 1280:
            raise ValueError("torchvision's B-series head is 4 * last stage width (1280 at w=1)")
        self.arch = dict(arch)
        setting, last_channel = _settings(arch["width_mult"], arch["depth_mult"])
        net = EfficientNet(setting, dropout, stochastic_depth_prob=stochastic_depth,
                           num_classes=1, last_channel=last_channel)
        self.features = net.features
        self.avgpool = net.avgpool
        self.classifier = net.classifier
        # torchvision draws the FC from U(-1/sqrt(classes), ..) = U(-1, 1) for one logit,
        # which starts training with huge logits; start near 0 instead.
        nn.init.normal_(self.classifier[1].weight, 0.0, 0.01)
        nn.init.zeros_(self.classifier[1].bias)
        self.att_after = int(arch.get("attention_after_block", -1))
        self._blocks = [blk for stage in list(self.features)[1:-1] for blk in stage]
        if self.att_after >= len(self._blocks):
            raise ValueError(f"attention_after_block {self.att_after} >= {len(self._blocks)}")
        if self.att_after >= 0:
            c = self._blocks[self.att_after].block[-1][0].out_channels
            self.att = nn.Conv2d(c, 1, kernel_size=1, bias=True)
            # Start the gate open (sigmoid(2) ~ 0.88) so early training is not starved.
            nn.init.zeros_(self.att.weight)
            nn.init.constant_(self.att.bias, 2.0)
        else:
            self.att = None
        # Optional second output (arch "kind_head"): synthetic (whole face generated) vs
        # replaced (swap, reenactment), a logit read only for faces that look fake.
        self.kind_fc = (nn.Linear(self.classifier[1].in_features, 1) if arch.get("kind_head")
                        else None)
        if self.kind_fc is not None:
            nn.init.normal_(self.kind_fc.weight, 0.0, 0.01)
            nn.init.zeros_(self.kind_fc.bias)

    def forward(self, x, return_att=False, return_kind=False):
        x = self.features[0](x)
        amap = None
        for i, blk in enumerate(self._blocks):
            x = blk(x)
            if i == self.att_after:
                amap = torch.sigmoid(self.att(x))
                x = x * amap
        x = self.features[-1](x)
        x = torch.flatten(self.avgpool(x), 1)
        if return_kind:
            if self.kind_fc is None:
                raise ValueError("this model has no kind head")
            h = self.classifier[0](x)  # dropout (in place): once, shared by both heads
            return self.classifier[1](h)[:, 0], self.kind_fc(h)[:, 0]
        logit = self.classifier(x)[:, 0]
        return (logit, amap) if return_att else logit


def count_params(model):
    return sum(p.numel() for p in model.parameters())
