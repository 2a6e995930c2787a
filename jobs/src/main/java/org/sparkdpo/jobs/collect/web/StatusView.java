package org.sparkdpo.jobs.collect.web;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import org.sparkdpo.jobs.collect.Agreement;
import org.sparkdpo.jobs.collect.AnnotationQueue;
import org.sparkdpo.jobs.collect.Decision;
import org.sparkdpo.jobs.collect.Progress;

/** The status page's figures: progress per annotator, overall progress, and agreement (Cohen's kappa for overlap 2). */
final class StatusView {
    private final AnnotationQueue queue;
    /** Annotators who asked for work through this server (the journal adds those who decided before). */
    private final Set<String> seen = new ConcurrentSkipListSet<>();

    StatusView(AnnotationQueue queue) {
        this.queue = queue;
    }

    void saw(String annotator) {
        seen.add(annotator);
    }

    Map<String, Object> json() {
        Set<String> names = new ConcurrentSkipListSet<>(seen);
        for (Decision d : queue.decisions()) names.add(d.annotator());
        List<Map<String, Object>> rows = new ArrayList<>();
        Progress any = null;
        for (String a : names) {
            Progress p = queue.progress(a);
            any = p;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("annotator", a);
            row.put("done", p.done());
            row.put("total", p.total());
            rows.add(row);
        }
        if (any == null) any = queue.progress("-");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("annotators", rows);
        out.put("overall_done", any.overallDone());
        out.put("overall_needed", any.overallNeeded());
        out.put("overlap", queue.overlap());
        out.put("agreement", agreement(queue.agreement()));
        return out;
    }

    static Map<String, Object> progress(Progress p) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("done", p.done());
        out.put("total", p.total());
        out.put("overall_done", p.overallDone());
        out.put("overall_needed", p.overallNeeded());
        return out;
    }

    static Map<String, Object> agreement(Agreement a) {
        if (a == null) return null;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("n", a.n());
        out.put("raw", a.raw());
        out.put("kappa", a.kappa());
        return out;
    }
}
