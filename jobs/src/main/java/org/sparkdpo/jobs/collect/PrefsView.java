package org.sparkdpo.jobs.collect;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code PREFS.jsonl}, the TRL preference dataset {@code prepare} reads: a view of the journal, rebuilt whole and
 * replaced atomically after every change. One row per live chosen_a/chosen_b decision, in journal order: {@code id}
 * (pair id + "/" + annotator), {@code prompt}, {@code chosen}, {@code rejected} (text, or for a conversation
 * {@code [{role: assistant, content}]} lists, TRL's conversational form), and the provenance columns
 * {@code annotator, decided_at, model, adapter, shown_order, choice, agreement}.
 */
final class PrefsView {
    private static final ObjectMapper JSON = PairLines.JSON;

    private PrefsView() {}

    static void write(Path out, Map<String, LabelPair> pairs, List<Decision> live) throws IOException {
        Map<String, List<Decision>> byPair = new HashMap<>();
        for (Decision d : live) if (d.choice() != Choice.SKIP) byPair.computeIfAbsent(d.pairId(), k -> new ArrayList<>()).add(d);
        StringBuilder b = new StringBuilder();
        for (Decision d : live) {
            if (!d.choice().preference()) continue;
            b.append(row(pairs.get(d.pairId()), d, agreement(d, byPair.get(d.pairId())))).append('\n');
        }
        Durable.replace(out, b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Share of the pair's (non-skip) annotators with the same choice as {@code d}; null when only one decided. */
    static Double agreement(Decision d, List<Decision> ofPair) {
        if (ofPair == null || ofPair.size() < 2) return null;
        long same = ofPair.stream().filter(o -> o.choice() == d.choice()).count();
        return (double) same / ofPair.size();
    }

    private static String row(LabelPair p, Decision d, Double agreement) {
        Choice rejectedSlot = d.choice() == Choice.CHOSEN_A ? Choice.CHOSEN_B : Choice.CHOSEN_A;
        ObjectNode o = JSON.createObjectNode();
        o.put("id", p.pairId() + "/" + d.annotator());
        o.set("prompt", PairLines.promptJson(p));
        if (p.conversational()) {
            o.set("chosen", assistant(p.answer(d.choice())));
            o.set("rejected", assistant(p.answer(rejectedSlot)));
        } else {
            o.put("chosen", p.answer(d.choice()));
            o.put("rejected", p.answer(rejectedSlot));
        }
        o.put("annotator", d.annotator());
        o.put("decided_at", d.decidedAt().toString());
        o.put("model", p.model());
        o.put("adapter", p.adapter());
        o.put("shown_order", d.shownOrder());
        o.put("choice", d.choice().wire());
        if (agreement == null) o.putNull("agreement");
        else o.put("agreement", agreement);
        return o.toString();
    }

    private static ArrayNode assistant(String text) {
        ArrayNode a = JSON.createArrayNode();
        a.addObject().put("role", "assistant").put("content", text);
        return a;
    }
}
