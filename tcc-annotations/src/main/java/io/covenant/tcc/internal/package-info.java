/** Not API: the interceptor, branch naming and reflection helpers of tcc-annotations. */
package io.covenant.tcc.internal;
