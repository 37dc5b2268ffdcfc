#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <sys/types.h>

// The bounce mailbox's real servers, for tst_bounces and bench/bounces (written once, here):
// a private Dovecot and a private Postfix, never the system ones, each with its own
// configuration, state and ports under one temporary directory, on loopback only, stopped by
// the destructor. Debian packages: dovecot-imapd, postfix, openssl.
namespace testsupport {

// dovecot -F -c FILE: its own base_dir and instance name, a passwd-file user "bounces"
// (password "bounce-pw") whose Maildir is mailRoot()/bounces/Maildir, implicit TLS and STARTTLS
// listeners on 127.0.0.1 with a certificate made at start (caFile() signs it). As root the mail
// processes run as nobody:nogroup; anyone else runs them as themselves.
class PrivateDovecot
{
public:
    PrivateDovecot();
    ~PrivateDovecot();
    // false with *error when Dovecot is missing (installed() tells) or does not start.
    bool start(QString *error);
    void stop();
    static bool installed();

    QString dir() const { return m_dir.path(); }
    quint16 imapPort() const { return m_imapPort; }   // STARTTLS
    quint16 imapsPort() const { return m_imapsPort; } // implicit TLS
    QString caFile() const { return m_dir.filePath(QStringLiteral("ca.pem")); }
    static QString user() { return QStringLiteral("bounces"); }
    static QByteArray password() { return QByteArrayLiteral("bounce-pw"); }
    QString mailRoot() const { return m_dir.filePath(QStringLiteral("mail")); }
    QString maildir() const { return mailRoot() + QStringLiteral("/bounces/Maildir"); }
    uid_t mailUid() const { return m_uid; }
    gid_t mailGid() const { return m_gid; }

    // Delivers a message into the mailbox as an MTA would (Maildir new/, owned by the mail user).
    bool drop(const QByteArray &message, QString *error);
    // The Maildir's files, "new/NAME" or "cur/NAME:2,FLAGS", sorted.
    QStringList files() const { return maildirFiles(maildir()); }
    static QStringList maildirFiles(const QString &maildir);

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_imapPort = 0;
    quint16 m_imapsPort = 0;
    uid_t m_uid = 0;
    gid_t m_gid = 0;
    int m_dropped = 0;
};

// postfix -c DIR: its own configuration, queue and data directories, an smtpd on a free loopback
// port, no chroot. Domains:
//   bouncing.test  accepted, then bounced by the error transport (5.1.1 User unknown), so that
//                  Postfix's own bounce daemon writes the DSN to the envelope sender;
//   acme.example   accepted and discarded;
//   roster.test    bounces@ delivers into the Dovecot's Maildir, archive@ into
//                  mailboxMaildir("archive"), which also gets a blind copy of every message
//                  (always_bcc: the test reads links of mail that bounced);
//   inbox.test     every address delivers into mailboxMaildir("inbox").
// Needs root and Debian's postfix (mail_owner postfix).
class PrivatePostfix
{
public:
    ~PrivatePostfix();
    bool start(const PrivateDovecot &dovecot, QString *error);
    void stop();
    quint16 smtpPort() const { return m_port; }
    QString mailboxMaildir(const QString &name) const
    {
        return m_mailRoot + u'/' + name + QStringLiteral("/Maildir");
    }

private:
    QString m_dir; // set while it runs
    QString m_bin;
    QString m_mailRoot;
    quint16 m_port = 0;
};

} // namespace testsupport
