#pragma once

#include "app/cli/cli.h"
#include "models/result.h"

#include <QJsonValue>
#include <QString>
#include <QTextStream>

#include <optional>

// What every command shares: its translation context, standard output, the one-line errors and
// the exit code each kind of error gets (SPEC §6).
namespace roster::cli {

// Every rosterctl message lives in the translation context "rosterctl" (translations/translator.cpp
// maps it to the contexts lupdate files the strings under).
QString tr(const char *s, int n = -1);

QTextStream &out();

// Every error is one line on stderr, "rosterctl: MESSAGE".
void errorLine(const QString &message);

int exitFor(ErrorKind kind);

// Prints the error and returns its exit code.
int fail(const Error &e);

// Prints a usage mistake with a pointer to the help and returns Usage.
int usage(const QString &message);

// A service's refusal: a value it found wrong (ErrorKind::Invalid) as a usage mistake, any
// other error as fail() prints it.
int failOrUsage(const Error &e);

// The first line of standard input (a password), without its line end; nothing at its end.
std::optional<QString> readStdinLine();

// UTC, ISO 8601, as JSON and tables print times.
QString isoTime(qint64 ms);

// JSON null for what is not there: no time, an empty text.
QJsonValue jsonTime(const std::optional<qint64> &ms);
QJsonValue jsonText(const QString &text);

} // namespace roster::cli
