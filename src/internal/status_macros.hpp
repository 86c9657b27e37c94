// Internal helpers for propagating absl::Status; not part of the public API.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define BLOOMLINK_CONCAT_INNER(a, b) a##b
#define BLOOMLINK_CONCAT(a, b) BLOOMLINK_CONCAT_INNER(a, b)

// BLOOMLINK_RETURN_IF_ERROR(expr): returns the status of `expr` from the enclosing function
// when it is not OK.
#define BLOOMLINK_RETURN_IF_ERROR(expr)                    \
  do {                                                     \
    ::absl::Status bloomlink_status_ = (expr);             \
    if (!bloomlink_status_.ok()) return bloomlink_status_; \
  } while (false)

// BLOOMLINK_ASSIGN_OR_RETURN(lhs, expr): evaluates a StatusOr expression, returns its status when
// not OK, otherwise moves the value into `lhs` (which may be a declaration).
#define BLOOMLINK_ASSIGN_OR_RETURN(lhs, expr) \
  BLOOMLINK_ASSIGN_OR_RETURN_IMPL(BLOOMLINK_CONCAT(bloomlink_statusor_, __LINE__), lhs, expr)
#define BLOOMLINK_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()
