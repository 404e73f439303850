package io.covenant.saga.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.covenant.protocol.SagaRequest;
import io.covenant.saga.SagaValidationException;
import java.util.List;

/**
 * The DSL's JSON and YAML mappers. Reading is strict (unknown fields, trailing content and
 * duplicate keys are errors) because definitions are written by hand; writing leaves out absent
 * fields. Thread-safe.
 */
public final class SagaJson {
  private static final ObjectMapper JSON = JsonMapper.builder()
      .serializationInclusion(JsonInclude.Include.NON_NULL)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();
  private static final ObjectMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
          .build())
      .serializationInclusion(JsonInclude.Include.NON_NULL)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  private SagaJson() {}

  /** Any value as a JSON tree (null stays null). */
  public static JsonNode tree(Object value) {
    return value == null ? null : value instanceof JsonNode node ? node : JSON.valueToTree(value);
  }

  public static String toJson(SagaRequest request) {
    try {
      return JSON.writeValueAsString(request);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a saga request did not serialize to JSON", e);
    }
  }

  public static String toYaml(SagaRequest request) {
    try {
      return YAML.writeValueAsString(request);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a saga request did not serialize to YAML", e);
    }
  }

  public static SagaRequest fromJson(String json) {
    return read(JSON, json, "JSON");
  }

  public static SagaRequest fromYaml(String yaml) {
    return read(YAML, yaml, "YAML");
  }

  private static SagaRequest read(ObjectMapper mapper, String text, String format) {
    try {
      SagaRequest request = mapper.readValue(text, SagaRequest.class);
      if (request == null) {
        throw new SagaValidationException(null, List.of("the " + format + " text is empty"));
      }
      return request;
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new SagaValidationException(null, List.of("not a saga in " + format + where + ": " + e.getOriginalMessage()));
    }
  }
}
