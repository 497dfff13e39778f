package dev.nrpm.models;

import dev.nrpm.nn.BatchNorm2d;
import dev.nrpm.nn.Conv2d;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.nn.Sequential;
import dev.nrpm.ops.Ops;
import dev.nrpm.tensor.Tensor;

/**
 * ResNet's basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), 3x3 convs without
 * bias; the shortcut is a 1x1 conv + BN when the stride or the width changes, else the identity.
 */
public final class BasicBlock extends Module {
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final Conv2d conv2;
    private final BatchNorm2d bn2;
    private final Sequential shortcut;

    public BasicBlock(ParamInit init, int in, int out, int stride) {
        conv1 = addChild("conv1", new Conv2d(init, in, out, 3, stride, 1, false));
        bn1 = addChild("bn1", new BatchNorm2d(init, out));
        conv2 = addChild("conv2", new Conv2d(init, out, out, 3, 1, 1, false));
        bn2 = addChild("bn2", new BatchNorm2d(init, out));
        if (stride != 1 || in != out) {
            shortcut = addChild("shortcut", new Sequential()
                    .add("0", new Conv2d(init, in, out, 1, stride, 0, false))
                    .add("1", new BatchNorm2d(init, out)));
        } else {
            shortcut = null;
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = bn1.forwardRelu(conv1.forward(x));
        h = bn2.forward(conv2.forward(h));
        return Ops.addRelu(h, shortcut == null ? x : shortcut.forward(x));
    }
}
