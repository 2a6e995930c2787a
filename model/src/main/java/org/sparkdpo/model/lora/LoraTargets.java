package org.sparkdpo.model.lora;

import org.sparkdpo.model.arch.CausalLm;
import org.sparkdpo.model.arch.LinearModule;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Resolves PEFT's {@code target_modules} against a model's linear maps, with PEFT's matching rules. */
public final class LoraTargets {
    private LoraTargets() {}

    /** The targeted modules in model order; an error naming the available names when nothing matches. */
    public static List<LinearModule> resolve(LoraConfig config, CausalLm model) {
        List<String> targets = config.targetModules();
        List<LinearModule> out = new ArrayList<>();
        for (LinearModule m : model.linearModules()) {
            if (matches(targets, m.path())) out.add(m);
        }
        if (out.isEmpty()) {
            List<String> names = model.linearModules().stream().map(LinearModule::shortName).distinct().toList();
            throw new IllegalArgumentException("LoRA target_modules " + targets + " match no module of this "
                    + model.config().modelType() + " model; its linear modules are " + names);
        }
        return out;
    }

    /** PEFT: a name matches when it equals the path or is its suffix after a dot; one non-plain string is a full-match regex. */
    static boolean matches(List<String> targets, String path) {
        if (targets.size() == 1 && targets.get(0).equals("all-linear")) return true;
        if (targets.size() == 1 && isRegex(targets.get(0))) {
            return Pattern.compile(targets.get(0)).matcher(path).matches();
        }
        for (String t : targets) {
            if (path.equals(t) || path.endsWith("." + t)) return true;
        }
        return false;
    }

    private static boolean isRegex(String s) {
        return !s.matches("[A-Za-z0-9_.]+");
    }
}
