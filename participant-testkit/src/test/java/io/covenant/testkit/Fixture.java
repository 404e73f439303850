package io.covenant.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class that is run by another test through JUnit's {@code EngineTestKit}, which sets the
 * configuration parameter {@value #RUN}; anywhere else (an IDE that runs every class) it is
 * disabled, because it is meant to fail.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(Fixture.OnlyWhenAsked.class)
@interface Fixture {
  String RUN = "covenant.testkit.fixtures";

  final class OnlyWhenAsked implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return context.getConfigurationParameter(RUN).isPresent()
          ? ConditionEvaluationResult.enabled("run through EngineTestKit")
          : ConditionEvaluationResult.disabled("a fixture of the kit's own tests; meant to fail");
    }
  }
}
