package dev.nrpm.nn;

import dev.nrpm.tensor.Tensor;
import java.util.Map;

/** Runs its children in the order they were added; children are named by the caller. */
public class Sequential extends Module {

    /** Adds a child; returns this for chaining. */
    public Sequential add(String name, Module m) {
        addChild(name, m);
        return this;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = x;
        for (Map.Entry<String, Module> e : children().entrySet()) {
            h = e.getValue().forward(h);
        }
        return h;
    }
}
