package org.sparkdpo.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.sparkdpo.model.tokenizer.ChatMessage.assistant;
import static org.sparkdpo.model.tokenizer.ChatMessage.system;
import static org.sparkdpo.model.tokenizer.ChatMessage.user;

/** Real templates rendered against outputs written out by hand from Jinja/transformers semantics. */
class ChatTemplateTest {

    private static final Map<String, Object> LLAMA = Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>");
    private static final Map<String, Object> MISTRAL = Map.of("bos_token", "<s>", "eos_token", "</s>");

    private static final List<ChatMessage> SYS_USER = List.of(system("You are helpful."), user("  Hi!  "));

    @Test
    void llama3() {
        ChatTemplate t = Templates.of("llama3");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                t.render(SYS_USER, true, LLAMA));
        // no generation prompt; |trim binds to the content only (Jinja precedence), BOS only before the first turn
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello there.<|eot_id|>",
                t.render(List.of(user("Hi!"), assistant("\n Hello there. \n")), false, LLAMA));
    }

    @Test
    void llama31() {
        ChatTemplate t = Templates.of("llama3_1");
        String header = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";
        assertEquals(header + "You are helpful.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                t.render(SYS_USER, true, LLAMA));
        // without a system message the system block is still written, empty; date_string can be passed in
        Map<String, Object> vars = new LinkedHashMap<>(LLAMA);
        vars.put("date_string", "01 Jan 2025");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Cutting Knowledge Date: December 2023\nToday Date: 01 Jan 2025\n\n<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nA<|eot_id|>",
                t.render(List.of(user("Q"), assistant("A")), false, vars));
    }

    @Test
    void llama31WithToolsUsesTransformersJson() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("type", "object");
        params.put("properties", Map.of("city", Map.of("type", "string")));
        Map<String, Object> fn = new LinkedHashMap<>();
        fn.put("name", "weather");
        fn.put("parameters", params);
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", fn);
        Map<String, Object> vars = new LinkedHashMap<>(LLAMA);
        vars.put("tools", List.of(tool));
        String out = Templates.of("llama3_1").render(List.of(user("Weather in Paris?")), true, vars);
        String json = "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"weather\",\n"
                + "        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n"
                + "                \"city\": {\n                    \"type\": \"string\"\n                }\n"
                + "            }\n        }\n    }\n}";
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Environment: ipython\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n"
                + "Given the following functions, please respond with a JSON for a function call "
                + "with its proper arguments that best answers the given prompt.\n\n"
                + "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}."
                + "Do not use variables.\n\n"
                + json + "\n\n"
                + "Weather in Paris?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", out);
    }

    @Test
    void qwen2ChatMl() {
        ChatTemplate t = Templates.of("qwen2");
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\n", t.render(List.of(user("Hi")), true, Map.of()));
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello<|im_end|>\n",
                t.render(List.of(system("Be brief."), user("Hi"), assistant("Hello")), false, Map.of()));
    }

    @Test
    void mistral() {
        ChatTemplate t = Templates.of("mistral");
        assertEquals("<s>[INST] Hi [/INST]Hello!</s>[INST] How are you? [/INST]",
                t.render(List.of(user("Hi"), assistant("Hello!"), user("How are you?")), true, MISTRAL));
    }

    @Test
    void templateErrorsCarryTheTemplatesMessage() {
        ChatTemplate t = Templates.of("mistral");
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.render(List.of(system("S"), user("Hi")), true, MISTRAL));
        assertEquals("Conversation roles must alternate user/assistant/user/assistant/...", e.templateMessage());
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());

        ChatTemplateException roles = assertThrows(ChatTemplateException.class,
                () -> t.render(List.of(user("Hi"), new ChatMessage("tool", "x")), true, MISTRAL));
        assertEquals("Only user and assistant roles are supported!", roles.templateMessage());

        ChatTemplate noSystem = ChatTemplate.of("{% if messages[0].role == 'system' %}"
                + "{{ raise_exception('System role not supported') }}{% endif %}ok");
        assertEquals("ok", noSystem.render(List.of(user("Hi")), false, Map.of()));
        assertEquals("System role not supported", assertThrows(ChatTemplateException.class,
                () -> noSystem.render(List.of(system("S")), false, Map.of())).templateMessage());
    }

    @Test
    void zephyrNeedsTrimBlocks() {
        ChatTemplate t = Templates.of("zephyr");
        List<ChatMessage> conv = List.of(system("You are a friendly chatbot."), user("Hi"));
        assertEquals("<|system|>\nYou are a friendly chatbot.</s>\n<|user|>\nHi</s>\n<|assistant|>\n",
                t.render(conv, true, MISTRAL));
        assertEquals("<|system|>\nYou are a friendly chatbot.</s>\n<|user|>\nHi</s>\n", t.render(conv, false, MISTRAL));
    }

    private static String render(String template) {
        return ChatTemplate.of(template).render(List.of(system("  Sys  "), user("Hi"), assistant("Yo")), true,
                Map.of("bos_token", "<s>"));
    }

    @Test
    void jinjaFeatures() {
        assertEquals("system|system|Sys", render("{{ messages[0]['role'] }}|{{ messages[0].role }}|{{ messages[0].content|trim }}"));
        assertEquals("0TF,1FF,2FT,", render("{% for m in messages %}{{ loop.index0 }}{{ 'T' if loop.first else 'F' }}"
                + "{{ 'T' if loop.last else 'F' }},{% endfor %}"));
        assertEquals("ab|a1|<s>x", render("{{ 'a' + 'b' }}|{{ 'a' ~ 1 }}|{{bos_token}}x"));
        assertEquals("2", render("{% set ns = namespace(n=0) %}{% for m in messages %}{% if m.role != 'system' %}"
                + "{% set ns.n = ns.n + 1 %}{% endif %}{% endfor %}{{ ns.n }}"));
        assertEquals("user,assistant,|assistant|3", render("{% for m in messages[1:] %}{{ m.role }},{% endfor %}|"
                + "{{ messages[-1].role }}|{{ messages|length }}"));
        assertEquals("ud", render("{% if foo is defined %}d{% else %}u{% endif %}{% if bos_token is defined %}d{% endif %}"));
        // whitespace control and trim_blocks / lstrip_blocks
        assertEquals("<s>system|user|assistant|", render("{{- bos_token }}\n{%- for m in messages %}\n    {{- m.role + '|' }}\n{%- endfor %}\n"));
        assertEquals("A\nX\nB", render("A\n  {% if true %}\nX\n  {% endif %}\nB"));
        // one trailing newline of the template is dropped (keep_trailing_newline=False), a second one stays
        assertEquals("x", render("x\n"));
        assertEquals("x\n", render("x\n\n"));
        assertEquals("13", render("{% for i in [1,2,3] %}{% if i == 2 %}{% continue %}{% endif %}{{ i }}{% endfor %}"));
    }

    @Test
    void pythonStringMethods() {
        // jinjava prints booleans as Java does (Jinja: True/False); chat templates print strings, not booleans
        assertEquals("Sys|Sys  |  Sys|true|false", render("{{ messages[0].content.strip() }}|{{ messages[0].content.lstrip() }}"
                + "|{{ messages[0].content.rstrip() }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith('x') }}"));
        assertEquals("b|2|ABC|abc|Abc Def", render("{{ 'a</think>b'.split('</think>')[-1] }}|{{ 'x y  '.split()|length }}"
                + "|{{ 'abc'.upper() }}|{{ 'ABC'.lower() }}|{{ 'abc def'.title() }}"));
        assertEquals("xx", render("{{ '\\nxx\\n'.strip('\\n') }}"));
        // Python whitespace includes U+00A0, which Java's String.strip() keeps
        assertEquals("[x]", render("[{{ '\u00a0x\u00a0'|trim }}]"));
    }

    @Test
    void toJsonIsPythonJsonDumps() {
        assertEquals("{\"role\": \"system\", \"content\": \"  Sys  \"}|\"é\"|[1, 2]",
                render("{{ messages[0]|tojson }}|{{ 'é'|tojson }}|{{ [1, 2]|tojson }}"));
    }

    @Test
    void concurrentRendersAgree() throws Exception {
        ChatTemplate t = Templates.of("llama3_1");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String q = "question " + i;
                results.add(pool.submit(() -> t.render(List.of(user(q)), true, LLAMA)
                        .endsWith("<|start_header_id|>user<|end_header_id|>\n\n" + q
                                + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")));
            }
            for (java.util.concurrent.Future<Boolean> r : results) assertTrue(r.get());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void strftime() {
        ZonedDateTime t = ZonedDateTime.of(2024, 7, 6, 15, 4, 5, 0, ZoneOffset.UTC);
        assertEquals("06 Jul 2024", ChatTemplate.strftime(t, "%d %b %Y"));
        assertEquals("2024-07-06 15:04:05 PM Saturday July %", ChatTemplate.strftime(t, "%Y-%m-%d %H:%M:%S %p %A %B %%"));
        String today = render("{{ strftime_now('%Y') }}");
        assertEquals(4, today.length());
    }

    @Test
    void notBindsLooserThanTests() {
        // Llama 3.1 relies on "not x is defined" meaning "not (x is defined)"
        assertEquals("BA", render("{% if not bos_token is defined %}A{% else %}B{% endif %}"
                + "{% if not foo is defined %}A{% else %}B{% endif %}"));
        assertEquals("T|F", render("{{ 'T' if not messages is string else 'F' }}|{{ 'T' if not bos_token is string else 'F' }}"));
        assertEquals("7|aB|T", render("{{ 1 + 2 * 3 }}|{{ 'a' ~ 'b'|upper }}|{{ 'T' if (messages|length) % 2 == 1 else 'F' }}"));
    }

    @Test
    void unsupportedFeaturesFailLoudly() {
        // jinjava cannot evaluate "not a == b" without parentheses: an error, never a silently different prompt
        assertThrows(ChatTemplateException.class, () -> render("{% if not messages|length == 1 %}x{% endif %}"));
        assertEquals("x", render("{% if not (messages|length == 1) %}x{% endif %}"));
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> render("{{ 'abc'.zfill(5) }}"));
        assertTrue(e.getMessage().contains("zfill"), e.getMessage());
        assertNull(e.templateMessage());
    }
}
