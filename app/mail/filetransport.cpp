#include "app/mail/filetransport.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

namespace roster {

FileTransport::FileTransport(QString directory)
    : m_directory(std::move(directory)), m_now([] { return QDateTime::currentDateTime(); })
{}

QString FileTransport::fileName(const OutgoingMessage &message, const QDateTime &time)
{
    QString id;
    for (char c : message.messageId.left(200)) {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '.' || c == '@' || c == '-' || c == '_' ||
                          c == '+';
        id += safe ? QChar::fromLatin1(c) : QChar(u'_');
    }
    // The timestamp in front keeps even ".." from being a path of its own.
    if (id.isEmpty())
        id = QStringLiteral("message-%1").arg(message.outboxId);
    return time.toString(u"yyyyMMdd-HHmmss") + u'-' + id + u".eml";
}

QList<DeliveryResult> FileTransport::deliver(const QList<OutgoingMessage> &messages)
{
    QList<DeliveryResult> results;
    results.reserve(messages.size());
    const QString shownDirectory = QDir::toNativeSeparators(m_directory);

    auto folderError = [&](const QString &reason) {
        DeliveryResult result;
        result.outcome = DeliveryResult::Outcome::Temporary;
        result.connectionError = true;
        result.reply = tr("Cannot write to %1: %2").arg(shownDirectory, reason);
        return result;
    };

    QString folderProblem;
    if (m_directory.isEmpty()) {
        folderProblem = tr("No mail folder is configured: run \u201crosterctl mail configure "
                           "--transport file --dir DIR\u201d.");
    } else if (!QDir().mkpath(m_directory)) {
        const QFileInfo info(m_directory);
        folderProblem =
            info.exists() && !info.isDir()
                ? tr("Cannot write to %1: it is a file, not a folder").arg(shownDirectory)
                : tr("Cannot create the folder %1: check that its parent exists "
                     "and is writable")
                      .arg(shownDirectory);
    }

    for (const OutgoingMessage &message : messages) {
        if (!folderProblem.isEmpty()) {
            DeliveryResult result = folderError(QString());
            result.reply = folderProblem;
            results.append(result);
            continue;
        }
        if (message.data.isEmpty()) {
            DeliveryResult result;
            result.outcome = DeliveryResult::Outcome::Permanent;
            result.reply = tr("The message is empty.");
            results.append(result);
            continue;
        }
        const QString path = QDir(m_directory).filePath(fileName(message, m_now()));
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(message.data) != message.data.size() ||
            !file.commit()) {
            // One line: Qt's texts may name the temporary file, which nobody needs to see.
            results.append(folderError(file.errorString().simplified()));
            file.cancelWriting();
            continue;
        }
        DeliveryResult result;
        result.outcome = DeliveryResult::Outcome::Sent;
        result.reply = tr("Written to %1").arg(QDir::toNativeSeparators(path));
        results.append(result);
        if (!reportResult(results.size() - 1, result))
            folderProblem = tr("The delivery was stopped.");
    }
    return results;
}

} // namespace roster
