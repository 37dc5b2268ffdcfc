#pragma once

#include "models/database.h"

#include <QString>

namespace roster {

// Organisation-wide settings, kept in the database so every console sharing it agrees.
// One table of keys and defaults (STYLE.md rule 9); load() fills defaults for what is unset.
struct OrgSettings
{
    QString organisation;
    QString senderAddress;
    QString senderName;         // empty: the organisation's name
    QString acceptUrl;          // CRM invitations: <acceptUrl>?token=…
    QString portalAcceptUrl;    // Customer Portal invitations
    int cooldownMinutes = 5;    // SPEC §2.4
    int reminderDaysBefore = 0; // 0: no automatic reminder

    QString transport; // "file" | "smtp"
    QString mailDir;   // file transport
    QString smtpHost;
    int smtpPort = 587;
    QString smtpSecurity; // none | starttls | tls
    QString smtpUser;
    QString smtpPasswordSealed; // sealed with the local key (see Sealer), never in clear
    QString smtpCaFile;
    bool smtpAllowPlainAuth = false;

    // Bounces (SPEC §9): the envelope sender of invitation mail (VERP-tagged per message) and
    // the mailbox its reports come back to, over IMAP.
    QString bounceAddress; // empty: invitations go out from senderAddress, untagged
    QString imapHost;
    int imapPort = 993;
    QString imapSecurity; // none | starttls | tls
    QString imapUser;
    QString imapPasswordSealed; // sealed like the SMTP password
    QString imapMailbox;        // "INBOX" by default
    QString imapCaFile;
    bool imapAllowPlainAuth = false;

    static Result<OrgSettings> load(const Database &db);
    Status save(Database &db) const; // inside the caller's transaction when one is open
    static QString defaultMailDir();
};

} // namespace roster
