#pragma once

#include "app/mail/mailtransport.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QString>

#include <functional>

namespace roster {

// The embedded default transport: every message becomes an .eml file in a folder, where a
// developer or a demo can open it with any mail client.
class FileTransport final : public MailTransport
{
    Q_DECLARE_TR_FUNCTIONS(FileTransport)

public:
    explicit FileTransport(QString directory);

    // Each message becomes <directory>/<yyyyMMdd-hhmmss>-<messageId>.eml, written atomically
    // (a temporary file renamed into place, so readers never see half a message). The files
    // carry working links: they are created 0600, and the folders this transport creates when
    // missing 0700, whatever the umask. Sent, or Temporary with connectionError=true and
    // one line such as "Cannot write to /x: Permission denied" when the folder is not writable.
    QList<DeliveryResult> deliver(const QList<OutgoingMessage> &messages) override;

    // The time that names the files (local time); tests inject a fixed one.
    void setClock(std::function<QDateTime()> now) { m_now = std::move(now); }

    // The file name a message gets at `time`: characters that do not belong in a file name
    // (slashes, control characters, ...) become "_".
    static QString fileName(const OutgoingMessage &message, const QDateTime &time);

    QString directory() const { return m_directory; }

private:
    QString m_directory;
    std::function<QDateTime()> m_now;
};

} // namespace roster
