package org.sparkdpo.prep.pair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

public class PromptTemplateTest {
    // The Alpaca prompt as written in rasbt's LLMs-from-scratch notebook (format_input + "\n\n### Response:\n").
    public static String alpaca(String instruction, String input) {
        String text = "Below is an instruction that describes a task. Write a response that appropriately completes the request."
                + "\n\n### Instruction:\n" + instruction;
        if (!input.isEmpty()) text += "\n\n### Input:\n" + input;
        return text + "\n\n### Response:\n";
    }

    static PromptTemplate.Values values(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m::get;
    }

    @Test
    void alpacaPresetMatchesTheNotebookWithAndWithoutInput() throws Rejected {
        PromptTemplate t = PromptTemplate.of("alpaca");
        assertEquals(alpaca("Convert 45 km to m.", ""), t.render(values("instruction", "Convert 45 km to m.", "input", "")));
        assertEquals(alpaca("Convert 45 km to m.", ""), t.render(values("instruction", "Convert 45 km to m.")));
        assertEquals(alpaca("Fix the spelling.", "freind"), t.render(values("instruction", "Fix the spelling.", "input", "freind")));
        assertEquals(Set.of("instruction"), t.requiredFields());
        assertEquals(Set.of("instruction", "input"), t.fields());
    }

    @Test
    void requiredFieldsAreCheckedAndOptionalSectionsDropped() throws Rejected {
        PromptTemplate t = PromptTemplate.parse("Q: {q}[[ (context: {ctx}, {n})]]\nA:");
        assertEquals("Q: why?\nA:", t.render(values("q", "why?", "ctx", "  ", "n", 3)));
        assertEquals("Q: why? (context: sky, 3)\nA:", t.render(values("q", "why?", "ctx", "sky", "n", 3)));
        assertEquals(RejectReason.NULL_FIELD, assertThrows(Rejected.class, () -> t.render(values())).reason());
        assertEquals(RejectReason.EMPTY_FIELD, assertThrows(Rejected.class, () -> t.render(values("q", " \n"))).reason());
        assertEquals(RejectReason.WRONG_TYPE, assertThrows(Rejected.class,
                () -> t.render(values("q", java.util.List.of("a")))).reason());
    }

    @Test
    void bracesAndSyntaxErrors() throws Rejected {
        assertEquals("{x} = 1", PromptTemplate.parse("{{x}} = {v}").render(values("v", 1L)));
        assertThrows(IllegalArgumentException.class, () -> PromptTemplate.parse("{open"));
        assertThrows(IllegalArgumentException.class, () -> PromptTemplate.parse("close}"));
        assertThrows(IllegalArgumentException.class, () -> PromptTemplate.parse("[[a [[b]] ]]"));
        assertThrows(IllegalArgumentException.class, () -> PromptTemplate.parse("[[never closed {x}"));
        assertThrows(IllegalArgumentException.class, () -> PromptTemplate.parse("empty {}"));
    }
}
