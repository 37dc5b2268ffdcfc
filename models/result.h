#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace roster {

// What went wrong, in the terms the command line's exit codes and the GUI's messages need.
enum class ErrorKind {
    Invalid,   // bad input (exit 2)
    Refused,   // a rule or a permission said no (exit 3)
    NotFound,  // (exit 4)
    Database,  // (exit 5)
    Mail,      // mail configuration or connection (exit 6)
    Cancelled, // a statement stopped on purpose (StatementInterrupter); never shown to a user
};

struct Error
{
    ErrorKind kind = ErrorKind::Database;
    QString message; // one translated line: what is wrong and what to do
};

// A value or an Error; std::expected arrives with C++23.
template <typename T> class [[nodiscard]] Result
{
public:
    Result(T value) : m_v(std::move(value)) {}
    Result(Error error) : m_v(std::move(error)) {}
    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return std::get<0>(m_v); }
    T &value() & { return std::get<0>(m_v); }
    T &&value() && { return std::get<0>(std::move(m_v)); }
    const T *operator->() const { return &std::get<0>(m_v); }
    const T &operator*() const { return std::get<0>(m_v); }
    const Error &error() const { return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

struct Done
{
};

using Status = Result<Done>;
inline Status ok()
{
    return Done{};
}
inline Error makeError(ErrorKind kind, const QString &message)
{
    return Error{kind, message};
}

} // namespace roster
