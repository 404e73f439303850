package io.covenant.coordinator.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * The API's one JSON mapper. Requests: unknown fields are ignored (so older coordinators accept
 * newer clients), but types are strict: no coercion of strings to numbers or booleans, no floats
 * for whole numbers, no duplicate keys, nothing after the top-level value. Responses: instants as
 * ISO-8601 text, null fields left out. Thread-safe once built.
 */
public final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .serializationInclusion(JsonInclude.Include.NON_NULL)
      .build();

  /**
   * Reads YAML bodies ({@code POST /v1/sagas} only) into the same trees: duplicate keys are errors, and
   * the parser's limits (aliases, nesting, size) stay at SnakeYAML's defaults, which bound what a
   * hostile document can cost. Only trees are read, so YAML tags never instantiate Java classes.
   */
  private static final ObjectMapper YAML = YAMLMapper.builder(YAMLFactory.builder().loaderOptions(loaderOptions()).build())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  static {
    MAPPER.getFactory().disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
  }

  private static final ClassValue<ObjectReader> READERS = new ClassValue<>() {
    @Override
    protected ObjectReader computeValue(Class<?> type) {
      return MAPPER.readerFor(type);
    }
  };

  private static LoaderOptions loaderOptions() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    return options;
  }

  /**
   * A reader of {@code type}, made once per type: ObjectMapper.readValue(bytes, type) resolves the
   * type and its deserializer on every call, which showed in profiles of the request path.
   */
  static ObjectReader reader(Class<?> type) {
    return READERS.get(type);
  }

  static ObjectMapper yamlMapper() {
    return YAML;
  }

  private Json() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }
}
