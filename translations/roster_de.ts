<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>AcceptSite</name>
    <message>
        <source>The form is too large</source>
        <translation>Das Formular ist zu groß</translation>
    </message>
    <message>
        <source>What your browser sent is larger than this page accepts.</source>
        <translation>Was Ihr Browser gesendet hat, ist größer, als diese Seite annimmt.</translation>
    </message>
    <message>
        <source>Go back, and send the form again without adding anything to it.</source>
        <translation>Gehen Sie zurück und senden Sie das Formular erneut, ohne etwas hinzuzufügen.</translation>
    </message>
    <message>
        <source>The invitation service is unavailable</source>
        <translation>Der Einladungsdienst ist nicht erreichbar</translation>
    </message>
    <message>
        <source>It cannot reach its database right now.</source>
        <translation>Er erreicht seine Datenbank im Moment nicht.</translation>
    </message>
    <message>
        <source>Nothing was changed. Try again in a few minutes.</source>
        <translation>Es wurde nichts geändert. Versuchen Sie es in einigen Minuten erneut.</translation>
    </message>
    <message>
        <source>Page not found</source>
        <translation>Seite nicht gefunden</translation>
    </message>
    <message>
        <source>There is no page at this address.</source>
        <translation>Unter dieser Adresse gibt es keine Seite.</translation>
    </message>
    <message>
        <source>Open the link in your invitation mail.</source>
        <translation>Öffnen Sie den Link in Ihrer Einladungs-E-Mail.</translation>
    </message>
    <message>
        <source>This page cannot do that</source>
        <translation>Das kann diese Seite nicht</translation>
    </message>
    <message>
        <source>This page only opens invitation links and takes their form.</source>
        <translation>Diese Seite öffnet nur Einladungslinks und nimmt deren Formular entgegen.</translation>
    </message>
    <message>
        <source>Too many attempts</source>
        <translation>Zu viele Versuche</translation>
    </message>
    <message>
        <source>Too many attempts from your network failed in the last minute.</source>
        <translation>In der letzten Minute sind zu viele Versuche aus Ihrem Netzwerk gescheitert.</translation>
    </message>
    <message>
        <source>Wait a minute, then open the link in your invitation mail again.</source>
        <translation>Warten Sie eine Minute und öffnen Sie dann den Link in Ihrer Einladungs-E-Mail erneut.</translation>
    </message>
    <message>
        <source>This form cannot be used</source>
        <translation>Dieses Formular kann nicht verwendet werden</translation>
    </message>
    <message>
        <source>The form was open for too long.</source>
        <translation>Das Formular war zu lange geöffnet.</translation>
    </message>
    <message>
        <source>The form could not be checked: it did not come from this page in this browser, or your browser does not keep this page&apos;s cookie.</source>
        <translation>Das Formular konnte nicht geprüft werden: Es stammt nicht von dieser Seite in diesem Browser, oder Ihr Browser behält das Cookie dieser Seite nicht.</translation>
    </message>
    <message>
        <source>Nothing was changed. Open the link in your invitation mail again, and fill in the form once more.</source>
        <translation>Es wurde nichts geändert. Öffnen Sie den Link in Ihrer Einladungs-E-Mail erneut und füllen Sie das Formular noch einmal aus.</translation>
    </message>
    <message>
        <source>The two passwords differ: type the same password twice.</source>
        <translation>Die beiden Passwörter unterscheiden sich: Geben Sie zweimal dasselbe Passwort ein.</translation>
    </message>
    <message>
        <source>Your account is ready</source>
        <translation>Ihr Konto ist bereit</translation>
    </message>
    <message>
        <source>You can now sign in as %1 with the password you have just chosen.</source>
        <translation>Sie können sich jetzt als %1 mit dem soeben gewählten Passwort anmelden.</translation>
    </message>
    <message>
        <source>Sign in to %1&apos;s Customer Portal</source>
        <translation>Beim Kundenportal von %1 anmelden</translation>
    </message>
    <message>
        <source>Sign in to %1&apos;s CRM</source>
        <translation>Beim CRM von %1 anmelden</translation>
    </message>
    <message>
        <source>Your request could not be recorded</source>
        <translation>Ihre Anfrage konnte nicht gespeichert werden</translation>
    </message>
    <message>
        <source>The invitation service cannot record it right now.</source>
        <translation>Der Einladungsdienst kann sie im Moment nicht speichern.</translation>
    </message>
    <message>
        <source>Try again in a few minutes, or ask your administrator directly.</source>
        <translation>Versuchen Sie es in einigen Minuten erneut oder wenden Sie sich direkt an Ihren Administrator.</translation>
    </message>
    <message>
        <source>Your administrator has been told</source>
        <translation>Ihr Administrator wurde benachrichtigt</translation>
    </message>
    <message>
        <source>You have already asked</source>
        <translation>Sie haben bereits angefragt</translation>
    </message>
    <message>
        <source>%1&apos;s administrators can see that you asked for a new invitation.</source>
        <translation>Die Administratoren von %1 sehen, dass Sie eine neue Einladung angefordert haben.</translation>
    </message>
    <message>
        <source>You asked for a new invitation with this link before; %1&apos;s administrators can see it.</source>
        <translation>Sie haben mit diesem Link bereits eine neue Einladung angefordert; die Administratoren von %1 sehen das.</translation>
    </message>
    <message>
        <source>The new invitation will come by mail, with a new link. You can close this page.</source>
        <translation>Die neue Einladung kommt per E-Mail, mit einem neuen Link. Sie können diese Seite schließen.</translation>
    </message>
    <message>
        <source>Choose your password</source>
        <translation>Wählen Sie Ihr Passwort</translation>
    </message>
    <message>
        <source>Hello %1, you are invited to %2&apos;s Customer Portal. Choose a password to finish setting up your account.</source>
        <translation>Hallo %1, Sie sind zum Kundenportal von %2 eingeladen. Wählen Sie ein Passwort, um die Einrichtung Ihres Kontos abzuschließen.</translation>
    </message>
    <message>
        <source>Hello %1, you are invited to %2&apos;s CRM. Choose a password to finish setting up your account.</source>
        <translation>Hallo %1, Sie sind zum CRM von %2 eingeladen. Wählen Sie ein Passwort, um die Einrichtung Ihres Kontos abzuschließen.</translation>
    </message>
    <message>
        <source>Email address</source>
        <translation>E-Mail-Adresse</translation>
    </message>
    <message>
        <source>New password</source>
        <translation>Neues Passwort</translation>
    </message>
    <message>
        <source>At least 8 characters.</source>
        <translation>Mindestens 8 Zeichen.</translation>
    </message>
    <message>
        <source>New password again</source>
        <translation>Neues Passwort wiederholen</translation>
    </message>
    <message>
        <source>Set password</source>
        <translation>Passwort festlegen</translation>
    </message>
    <message>
        <source>This link works until %1.</source>
        <translation>Dieser Link gilt bis %1.</translation>
    </message>
    <message>
        <source>The password was not set</source>
        <translation>Das Passwort wurde nicht festgelegt</translation>
    </message>
    <message>
        <source>This link does not work</source>
        <translation>Dieser Link funktioniert nicht</translation>
    </message>
    <message>
        <source>This invitation link is not valid. Perhaps it was not copied whole.</source>
        <translation>Dieser Einladungslink ist ungültig. Vielleicht wurde er nicht vollständig kopiert.</translation>
    </message>
    <message>
        <source>Open the link from your invitation mail again, or ask your administrator for a new invitation.</source>
        <translation>Öffnen Sie den Link aus Ihrer Einladungs-E-Mail erneut oder bitten Sie Ihren Administrator um eine neue Einladung.</translation>
    </message>
    <message>
        <source>This account is deactivated</source>
        <translation>Dieses Konto ist deaktiviert</translation>
    </message>
    <message>
        <source>Your administrator has deactivated this account, so its invitation cannot be accepted.</source>
        <translation>Ihr Administrator hat dieses Konto deaktiviert, daher kann seine Einladung nicht angenommen werden.</translation>
    </message>
    <message>
        <source>Ask your administrator to activate the account again.</source>
        <translation>Bitten Sie Ihren Administrator, das Konto wieder zu aktivieren.</translation>
    </message>
    <message>
        <source>This invitation was already used</source>
        <translation>Diese Einladung wurde bereits verwendet</translation>
    </message>
    <message>
        <source>The account %1 was already set up with this invitation.</source>
        <translation>Das Konto %1 wurde mit dieser Einladung bereits eingerichtet.</translation>
    </message>
    <message>
        <source>Sign in with your email address and your password. If you did not set up this account, tell your administrator.</source>
        <translation>Melden Sie sich mit Ihrer E-Mail-Adresse und Ihrem Passwort an. Wenn Sie dieses Konto nicht eingerichtet haben, informieren Sie Ihren Administrator.</translation>
    </message>
    <message>
        <source>This invitation has expired</source>
        <translation>Diese Einladung ist abgelaufen</translation>
    </message>
    <message>
        <source>This invitation was replaced</source>
        <translation>Diese Einladung wurde ersetzt</translation>
    </message>
    <message>
        <source>The invitation expired on %1.</source>
        <translation>Die Einladung ist am %1 abgelaufen.</translation>
    </message>
    <message>
        <source>A newer invitation was sent to you after this one, so this link no longer works.</source>
        <translation>Nach dieser Einladung wurde Ihnen eine neuere gesendet, daher funktioniert dieser Link nicht mehr.</translation>
    </message>
    <message>
        <source>Ask for a new invitation, and the administrators of %1 will see your request.</source>
        <translation>Fordern Sie eine neue Einladung an; die Administratoren von %1 sehen Ihre Anfrage.</translation>
    </message>
    <message>
        <source>Use the link in the latest invitation mail. If you cannot find it, ask for a new invitation.</source>
        <translation>Verwenden Sie den Link in der neuesten Einladungs-E-Mail. Wenn Sie sie nicht finden, fordern Sie eine neue Einladung an.</translation>
    </message>
    <message>
        <source>Ask for a new invitation</source>
        <translation>Neue Einladung anfordern</translation>
    </message>
    <message>
        <source>Something went wrong</source>
        <translation>Etwas ist schiefgegangen</translation>
    </message>
    <message>
        <source>Sign in where you work</source>
        <translation>Melden Sie sich dort an, wo Sie arbeiten</translation>
    </message>
    <message>
        <source>If you have just chosen your password, your account is ready. This address only opens the links in invitation mails.</source>
        <translation>Wenn Sie gerade Ihr Passwort gewählt haben, ist Ihr Konto bereit. Diese Adresse öffnet nur die Links in Einladungs-E-Mails.</translation>
    </message>
    <message>
        <source>Sign in from %1&apos;s CRM or Customer Portal, at the address you usually open it from.</source>
        <translation>Melden Sie sich im CRM oder Kundenportal von %1 an, unter der Adresse, unter der Sie es sonst öffnen.</translation>
    </message>
</context>
<context>
    <name>BounceRules</name>
    <message>
        <source>The last invitation to this address bounced.</source>
        <translation>Die letzte Einladung an diese Adresse kam als unzustellbar zurück.</translation>
    </message>
    <message>
        <source>The last invitation to this address bounced: %1</source>
        <translation>Die letzte Einladung an diese Adresse kam als unzustellbar zurück: %1</translation>
    </message>
</context>
<context>
    <name>EmailAddress</name>
    <message>
        <source>The email address is empty: enter an address such as name@example.com.</source>
        <translation>Die E-Mail-Adresse ist leer: Geben Sie eine Adresse wie name@example.com ein.</translation>
    </message>
    <message>
        <source>The email address contains a line break: enter it on one line.</source>
        <translation>Die E-Mail-Adresse enthält einen Zeilenumbruch: Geben Sie sie in einer Zeile ein.</translation>
    </message>
    <message>
        <source>The email address contains an invisible control character (%1): retype it instead of pasting it.</source>
        <translation>Die E-Mail-Adresse enthält ein unsichtbares Steuerzeichen (%1): Tippen Sie sie neu, statt sie einzufügen.</translation>
    </message>
    <message>
        <source>The email address contains a space: remove it.</source>
        <translation>Die E-Mail-Adresse enthält ein Leerzeichen: Entfernen Sie es.</translation>
    </message>
    <message>
        <source>The email address contains “%1”, which is not a plain ASCII character (it may only look like one): only plain ASCII addresses are accepted, so retype it on an English keyboard layout.</source>
        <translation>Die E-Mail-Adresse enthält „%1“, das kein einfaches ASCII-Zeichen ist (es sieht vielleicht nur so aus): Es werden nur reine ASCII-Adressen angenommen, tippen Sie sie also mit englischer Tastaturbelegung neu.</translation>
    </message>
    <message>
        <source>The email address contains a quotation mark: quoted addresses are not accepted, enter the plain address.</source>
        <translation>Die E-Mail-Adresse enthält ein Anführungszeichen: Adressen in Anführungszeichen werden nicht angenommen, geben Sie die reine Adresse ein.</translation>
    </message>
    <message>
        <source>Enter only the address itself, without angle brackets or a name.</source>
        <translation>Geben Sie nur die Adresse selbst ein, ohne spitze Klammern oder Namen.</translation>
    </message>
    <message>
        <source>The email address contains a parenthesis: remove the comment.</source>
        <translation>Die E-Mail-Adresse enthält eine Klammer: Entfernen Sie den Kommentar.</translation>
    </message>
    <message>
        <source>The email address has no “@”: enter it as name@example.com.</source>
        <translation>Die E-Mail-Adresse enthält kein „@“: Geben Sie sie als name@example.com ein.</translation>
    </message>
    <message>
        <source>The email address has more than one “@”: keep only one.</source>
        <translation>Die E-Mail-Adresse enthält mehr als ein „@“: Behalten Sie nur eines.</translation>
    </message>
    <message>
        <source>The email address has nothing before the “@”: enter it as name@example.com.</source>
        <translation>Vor dem „@“ steht nichts: Geben Sie die Adresse als name@example.com ein.</translation>
    </message>
    <message>
        <source>The email address has no domain after the “@”: enter it as name@example.com.</source>
        <translation>Nach dem „@“ fehlt die Domain: Geben Sie die Adresse als name@example.com ein.</translation>
    </message>
    <message>
        <source>The part before the “@” is %1 characters long; at most %2 are allowed.</source>
        <translation>Der Teil vor dem „@“ ist %1 Zeichen lang; erlaubt sind höchstens %2.</translation>
    </message>
    <message>
        <source>The domain is %1 characters long; at most %2 are allowed.</source>
        <translation>Die Domain ist %1 Zeichen lang; erlaubt sind höchstens %2.</translation>
    </message>
    <message>
        <source>The email address is %1 characters long; at most %2 are allowed.</source>
        <translation>Die E-Mail-Adresse ist %1 Zeichen lang; erlaubt sind höchstens %2.</translation>
    </message>
    <message>
        <source>The part before the “@” may not start or end with a dot.</source>
        <translation>Der Teil vor dem „@“ darf nicht mit einem Punkt beginnen oder enden.</translation>
    </message>
    <message>
        <source>The part before the “@” contains two dots in a row: remove one.</source>
        <translation>Der Teil vor dem „@“ enthält zwei Punkte hintereinander: Entfernen Sie einen.</translation>
    </message>
    <message>
        <source>The part before the “@” contains “%1”, which is not allowed there.</source>
        <translation>Der Teil vor dem „@“ enthält „%1“, das dort nicht erlaubt ist.</translation>
    </message>
    <message>
        <source>Enter a domain name after the “@”, not an IP address.</source>
        <translation>Geben Sie nach dem „@“ einen Domainnamen ein, keine IP-Adresse.</translation>
    </message>
    <message>
        <source>The domain may not start or end with a dot.</source>
        <translation>Die Domain darf nicht mit einem Punkt beginnen oder enden.</translation>
    </message>
    <message>
        <source>The domain contains two dots in a row: remove one.</source>
        <translation>Die Domain enthält zwei Punkte hintereinander: Entfernen Sie einen.</translation>
    </message>
    <message>
        <source>The domain has no dot: enter a full domain such as example.com.</source>
        <translation>Die Domain enthält keinen Punkt: Geben Sie eine vollständige Domain wie example.com ein.</translation>
    </message>
    <message>
        <source>A part of the domain is %1 characters long; at most %2 are allowed between dots.</source>
        <translation>Ein Teil der Domain ist %1 Zeichen lang; zwischen zwei Punkten sind höchstens %2 erlaubt.</translation>
    </message>
    <message>
        <source>The domain contains “%1”: only letters, digits, hyphens and dots are allowed there.</source>
        <translation>Die Domain enthält „%1“: Dort sind nur Buchstaben, Ziffern, Bindestriche und Punkte erlaubt.</translation>
    </message>
    <message>
        <source>A part of the domain starts or ends with a hyphen: check the domain.</source>
        <translation>Ein Teil der Domain beginnt oder endet mit einem Bindestrich: Prüfen Sie die Domain.</translation>
    </message>
    <message>
        <source>The sender contains a line break: enter it on one line.</source>
        <translation>Der Absender enthält einen Zeilenumbruch: Geben Sie ihn in einer Zeile ein.</translation>
    </message>
    <message>
        <source>The sender is empty: enter an address such as noreply@example.com, or Name &lt;noreply@example.com&gt;.</source>
        <translation>Der Absender ist leer: Geben Sie eine Adresse wie noreply@example.com oder Name &lt;noreply@example.com&gt; ein.</translation>
    </message>
    <message>
        <source>Put the address in angle brackets after the name: Name &lt;noreply@example.com&gt;.</source>
        <translation>Setzen Sie die Adresse in spitzen Klammern hinter den Namen: Name &lt;noreply@example.com&gt;.</translation>
    </message>
    <message>
        <source>The sender has a “&gt;” without a “&lt;”: write it as Name &lt;noreply@example.com&gt;.</source>
        <translation>Der Absender enthält ein „&gt;“ ohne „&lt;“: Schreiben Sie ihn als Name &lt;noreply@example.com&gt;.</translation>
    </message>
    <message>
        <source>The sender has no “&gt;” after the address: write it as Name &lt;noreply@example.com&gt;.</source>
        <translation>Im Absender fehlt das „&gt;“ nach der Adresse: Schreiben Sie ihn als Name &lt;noreply@example.com&gt;.</translation>
    </message>
    <message>
        <source>The sender holds more than one address in angle brackets: give one, as Name &lt;noreply@example.com&gt;.</source>
        <translation>Der Absender enthält mehr als eine Adresse in spitzen Klammern: Geben Sie eine an, als Name &lt;noreply@example.com&gt;.</translation>
    </message>
    <message>
        <source>The sender has text after the “&gt;”: remove it, or move it into the name before the “&lt;”.</source>
        <translation>Im Absender steht Text nach dem „&gt;“: Entfernen Sie ihn oder setzen Sie ihn in den Namen vor dem „&lt;“.</translation>
    </message>
    <message>
        <source>The address between “&lt;” and “&gt;” is empty: enter it as Name &lt;noreply@example.com&gt;.</source>
        <translation>Die Adresse zwischen „&lt;“ und „&gt;“ ist leer: Geben Sie sie als Name &lt;noreply@example.com&gt; ein.</translation>
    </message>
    <message>
        <source>The sender&apos;s name has an unmatched quotation mark: quote the whole name, as &quot;Acme, Inc.&quot; &lt;noreply@example.com&gt;.</source>
        <translation>Im Namen des Absenders fehlt ein Anführungszeichen: Setzen Sie den ganzen Namen in Anführungszeichen, als &quot;Acme, Inc.&quot; &lt;noreply@example.com&gt;.</translation>
    </message>
</context>
<context>
    <name>FileTransport</name>
    <message>
        <source>Cannot write to %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>No mail folder is configured: run “rosterctl mail configure --transport file --dir DIR”.</source>
        <translation>Es ist kein Mail-Ordner eingerichtet: Führen Sie „rosterctl mail configure --transport file --dir DIR“ aus.</translation>
    </message>
    <message>
        <source>Cannot write to %1: it is a file, not a folder</source>
        <translation>In %1 kann nicht geschrieben werden: Es ist eine Datei, kein Ordner</translation>
    </message>
    <message>
        <source>Cannot create the folder %1: check that its parent exists and is writable</source>
        <translation>Der Ordner %1 kann nicht angelegt werden: Prüfen Sie, ob der übergeordnete Ordner existiert und beschreibbar ist</translation>
    </message>
    <message>
        <source>The message is empty.</source>
        <translation>Die Nachricht ist leer.</translation>
    </message>
    <message>
        <source>Written to %1</source>
        <translation>Geschrieben nach %1</translation>
    </message>
    <message>
        <source>The delivery was stopped.</source>
        <translation>Die Zustellung wurde abgebrochen.</translation>
    </message>
</context>
<context>
    <name>FormSecret</name>
    <message>
        <source>The database holds a damaged web.form_secret setting: delete that row and start roster-web again.</source>
        <translation>Die Datenbank enthält eine beschädigte Einstellung web.form_secret: Löschen Sie diese Zeile und starten Sie roster-web erneut.</translation>
    </message>
</context>
<context>
    <name>InvitationMail</name>
    <message>
        <source>your organisation</source>
        <translation>Ihre Organisation</translation>
    </message>
    <message>
        <source>An administrator</source>
        <translation>Ein Administrator</translation>
    </message>
    <message>
        <source>The mail template %1 is missing from this build: %2</source>
        <translation>Die Mail-Vorlage %1 fehlt in diesem Build: %2</translation>
    </message>
    <message>
        <source>%1 at %2 (%3)</source>
        <translation>%1 um %2 (%3)</translation>
    </message>
    <message>
        <source>The invitation has no accept link: set the accept URL in the organisation settings.</source>
        <translation>Die Einladung hat keinen Annahme-Link: Legen Sie die Annahme-URL in den Einstellungen der Organisation fest.</translation>
    </message>
    <message>
        <source>The accept link is not a valid http(s) address: check the accept URL in the organisation settings.</source>
        <translation>Der Annahme-Link ist keine gültige http(s)-Adresse: Prüfen Sie die Annahme-URL in den Einstellungen der Organisation.</translation>
    </message>
    <message>
        <source>The mail template uses an unknown placeholder {{%1}}.</source>
        <translation>Die Mail-Vorlage verwendet einen unbekannten Platzhalter {{%1}}.</translation>
    </message>
    <message>
        <source>You&apos;re invited to %1&apos;s customer portal</source>
        <translation>Sie sind zum Kundenportal von %1 eingeladen</translation>
    </message>
    <message>
        <source>%1 invited you to %2&apos;s customer portal</source>
        <translation>%1 hat Sie zum Kundenportal von %2 eingeladen</translation>
    </message>
    <message>
        <source>You&apos;re invited to %1 on Roster</source>
        <translation>Sie sind zu %1 auf Roster eingeladen</translation>
    </message>
    <message>
        <source>%1 invited you to %2 on Roster</source>
        <translation>%1 hat Sie zu %2 auf Roster eingeladen</translation>
    </message>
    <message>
        <source>Organisation name</source>
        <translation>Name der Organisation</translation>
    </message>
    <message>
        <source>Inviter name</source>
        <translation>Name des Einladenden</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>Recipient name: %1</source>
        <translation>Name des Empfängers: %1</translation>
    </message>
    <message>
        <source>The invitation has no expiry date.</source>
        <translation>Die Einladung hat kein Ablaufdatum.</translation>
    </message>
    <message>
        <source>Hello,</source>
        <translation>Hallo,</translation>
    </message>
    <message>
        <source>Hello %1,</source>
        <translation>Hallo %1,</translation>
    </message>
</context>
<context>
    <name>MailSetup</name>
    <message>
        <source>The SMTP server is not configured: run &quot;rosterctl mail configure --transport smtp …&quot; or open Email settings.</source>
        <translation>Der SMTP-Server ist nicht eingerichtet: Führen Sie „rosterctl mail configure --transport smtp …“ aus oder öffnen Sie die E-Mail-Einstellungen.</translation>
    </message>
    <message>
        <source>The SMTP user %1 has no password saved for the organisation: give it with &quot;rosterctl mail configure --transport smtp … --user %1&quot; (on standard input) or in Email settings.</source>
        <translation>Für den SMTP-Benutzer %1 ist in der Organisation kein Passwort gespeichert: Geben Sie es mit „rosterctl mail configure --transport smtp … --user %1“ (über die Standardeingabe) oder in den E-Mail-Einstellungen an.</translation>
    </message>
    <message>
        <source>The SMTP password cannot be opened with this computer&apos;s key file %1: install the organisation&apos;s key file there (chmod 600), or give the password again.</source>
        <translation>Das SMTP-Passwort lässt sich mit der Schlüsseldatei %1 dieses Computers nicht öffnen: Legen Sie dort die Schlüsseldatei der Organisation ab (chmod 600) oder geben Sie das Passwort erneut ein.</translation>
    </message>
    <message>
        <source>The SMTP user %1 has an empty password saved: give the real one with &quot;rosterctl mail configure --transport smtp … --user %1&quot; or in Email settings.</source>
        <translation>Für den SMTP-Benutzer %1 ist ein leeres Passwort gespeichert: Geben Sie das richtige mit „rosterctl mail configure --transport smtp … --user %1“ oder in den E-Mail-Einstellungen an.</translation>
    </message>
</context>
<context>
    <name>MimeMessage</name>
    <message>
        <source>The Message-ID is not valid: it must look like random@example.com, without angle brackets or spaces.</source>
        <translation>Die Message-ID ist ungültig: Sie muss wie zufall@example.com aussehen, ohne spitze Klammern oder Leerzeichen.</translation>
    </message>
    <message>
        <source>It contains a line break, which would start a new mail header: enter it on one line.</source>
        <translation>Sie enthält einen Zeilenumbruch, der eine neue Mail-Kopfzeile beginnen würde: Geben Sie sie in einer Zeile ein.</translation>
    </message>
    <message>
        <source>It contains an invisible control character (U+%1): retype it instead of pasting it.</source>
        <translation>Sie enthält ein unsichtbares Steuerzeichen (U+%1): Tippen Sie sie neu, statt sie einzufügen.</translation>
    </message>
    <message>
        <source>The message has no sender address: set the sender in the mail settings.</source>
        <translation>Die Nachricht hat keine Absenderadresse: Legen Sie den Absender in den Mail-Einstellungen fest.</translation>
    </message>
    <message>
        <source>Sender address: %1</source>
        <translation>Absenderadresse: %1</translation>
    </message>
    <message>
        <source>Sender name: %1</source>
        <translation>Absendername: %1</translation>
    </message>
    <message>
        <source>The message has no recipient.</source>
        <translation>Die Nachricht hat keinen Empfänger.</translation>
    </message>
    <message>
        <source>Recipient address: %1</source>
        <translation>Empfängeradresse: %1</translation>
    </message>
    <message>
        <source>Recipient name: %1</source>
        <translation>Name des Empfängers: %1</translation>
    </message>
    <message>
        <source>Subject: %1</source>
        <translation>Betreff: %1</translation>
    </message>
    <message>
        <source>A mail header name is not valid: use letters, digits and hyphens.</source>
        <translation>Ein Name einer Mail-Kopfzeile ist ungültig: Verwenden Sie Buchstaben, Ziffern und Bindestriche.</translation>
    </message>
    <message>
        <source>The header %1 is written by the message itself and cannot be added.</source>
        <translation>Die Kopfzeile %1 schreibt die Nachricht selbst; sie kann nicht hinzugefügt werden.</translation>
    </message>
    <message>
        <source>Header %1: %2</source>
        <translation>Kopfzeile %1: %2</translation>
    </message>
</context>
<context>
    <name>PasswordHasher</name>
    <message>
        <source>The password is too short: use at least 8 characters.</source>
        <translation>Das Passwort ist zu kurz: Verwenden Sie mindestens 8 Zeichen.</translation>
    </message>
    <message>
        <source>The password is too long: use at most 1,024 characters.</source>
        <translation>Das Passwort ist zu lang: Verwenden Sie höchstens 1.024 Zeichen.</translation>
    </message>
    <message>
        <source>The password holds a control character (such as a line break).</source>
        <translation>Das Passwort enthält ein Steuerzeichen (etwa einen Zeilenumbruch).</translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>a response line longer than %1 octets</source>
        <translation>eine Antwortzeile länger als %1 Oktette</translation>
    </message>
    <message>
        <source>a NUL octet in a response line</source>
        <translation>ein NUL-Oktett in einer Antwortzeile</translation>
    </message>
    <message>
        <source>a literal of %1 octets (the limit is %2)</source>
        <translation>ein Literal von %1 Oktetten (die Grenze ist %2)</translation>
    </message>
    <message>
        <source>too many literals in one response</source>
        <translation>zu viele Literale in einer Antwort</translation>
    </message>
    <message>
        <source>an empty response line</source>
        <translation>eine leere Antwortzeile</translation>
    </message>
</context>
<context>
    <name>RosterWeb</name>
    <message>
        <source>Cannot read %1: %2.</source>
        <translation>%1 kann nicht gelesen werden: %2.</translation>
    </message>
    <message>
        <source>%1 is not a PEM file.</source>
        <translation>%1 ist keine PEM-Datei.</translation>
    </message>
    <message>
        <source>Serves the links of Roster&apos;s invitation mails: the invitee chooses a password and the invitation is accepted.</source>
        <translation>Beantwortet die Links der Einladungsmails von Roster: Die eingeladene Person wählt ein Passwort, und die Einladung ist angenommen.</translation>
    </message>
    <message>
        <source>The organisation&apos;s database: an SQLite file or a postgresql:// URL.</source>
        <translation>Die Datenbank der Organisation: eine SQLite-Datei oder eine postgresql://-URL.</translation>
    </message>
    <message>
        <source>PATH|URL</source>
        <translation>PFAD|URL</translation>
    </message>
    <message>
        <source>Address and port to listen on (port 0: any).</source>
        <translation>Adresse und Port, auf denen gelauscht wird (Port 0: ein beliebiger).</translation>
    </message>
    <message>
        <source>HOST:PORT</source>
        <translation>HOST:PORT</translation>
    </message>
    <message>
        <source>Speak TLS with this certificate chain.</source>
        <translation>TLS mit dieser Zertifikatskette sprechen.</translation>
    </message>
    <message>
        <source>PEM</source>
        <translation>PEM</translation>
    </message>
    <message>
        <source>The private key of --tls-cert.</source>
        <translation>Der private Schlüssel zu --tls-cert.</translation>
    </message>
    <message>
        <source>A reverse proxy whose X-Forwarded-For names the client (repeatable).</source>
        <translation>Ein Reverse-Proxy, dessen X-Forwarded-For den Client nennt (wiederholbar).</translation>
    </message>
    <message>
        <source>ADDRESS</source>
        <translation>ADRESSE</translation>
    </message>
    <message>
        <source>Worker threads (default: one per core, at least 2).</source>
        <translation>Arbeits-Threads (Standard: einer je Kern, mindestens 2).</translation>
    </message>
    <message>
        <source>N</source>
        <translation>N</translation>
    </message>
    <message>
        <source>Open connections one address may hold (default 128).</source>
        <translation>Offene Verbindungen, die eine Adresse halten darf (Standard 128).</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;.</source>
        <translation>Unerwartetes Argument „%1“.</translation>
    </message>
    <message>
        <source>--listen HOST:PORT is required, e.g. --listen 127.0.0.1:8080.</source>
        <translation>--listen HOST:PORT ist erforderlich, z. B. --listen 127.0.0.1:8080.</translation>
    </message>
    <message>
        <source>--listen wants HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), not &quot;%1&quot;.</source>
        <translation>--listen erwartet HOST:PORT (z. B. 127.0.0.1:8080 oder [::1]:8080), nicht „%1“.</translation>
    </message>
    <message>
        <source>--tls-cert and --tls-key go together.</source>
        <translation>--tls-cert und --tls-key gehören zusammen.</translation>
    </message>
    <message>
        <source>--threads wants a number from 1 to 256.</source>
        <translation>--threads erwartet eine Zahl von 1 bis 256.</translation>
    </message>
    <message>
        <source>--max-connections-per-ip wants a positive number.</source>
        <translation>--max-connections-per-ip erwartet eine positive Zahl.</translation>
    </message>
    <message>
        <source>--trusted-proxy wants an IP address, not &quot;%1&quot;.</source>
        <translation>--trusted-proxy erwartet eine IP-Adresse, nicht „%1“.</translation>
    </message>
    <message>
        <source>No database: give --db PATH|URL.</source>
        <translation>Keine Datenbank: Geben Sie --db PFAD|URL an.</translation>
    </message>
</context>
<context>
    <name>UserStatus</name>
    <message>
        <source>Inactive</source>
        <translation>Inaktiv</translation>
    </message>
    <message>
        <source>Confirmed</source>
        <translation>Bestätigt</translation>
    </message>
    <message>
        <source>Unconfirmed · expires in 1 day</source>
        <translation>Unbestätigt · läuft in 1 Tag ab</translation>
    </message>
    <message>
        <source>Unconfirmed · expires in %1 days</source>
        <translation>Unbestätigt · läuft in %1 Tagen ab</translation>
    </message>
    <message>
        <source>Unconfirmed · never invited</source>
        <translation>Unbestätigt · nie eingeladen</translation>
    </message>
    <message>
        <source>Unconfirmed · expired today</source>
        <translation>Unbestätigt · heute abgelaufen</translation>
    </message>
    <message>
        <source>Unconfirmed · expired 1 day ago</source>
        <translation>Unbestätigt · vor 1 Tag abgelaufen</translation>
    </message>
    <message>
        <source>Unconfirmed · expired %1 days ago</source>
        <translation>Unbestätigt · vor %1 Tagen abgelaufen</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Roster: the console for your CRM&apos;s users.</source>
        <translation>Roster: die Konsole für die Benutzer Ihres CRM.</translation>
    </message>
    <message>
        <source>The database: a file or a postgresql:// URL (default: ROSTER_DB, else the last one used).</source>
        <translation>Die Datenbank: eine Datei oder eine postgresql://-URL (Standard: ROSTER_DB, sonst die zuletzt verwendete).</translation>
    </message>
    <message>
        <source>Cannot open the database</source>
        <translation>Die Datenbank kann nicht geöffnet werden</translation>
    </message>
    <message>
        <source>PostgreSQL password</source>
        <translation>PostgreSQL-Passwort</translation>
    </message>
    <message>
        <source>Password for %1:</source>
        <translation>Passwort für %1:</translation>
    </message>
    <message>
        <source>Since you last signed in</source>
        <translation>Seit Ihrer letzten Anmeldung</translation>
    </message>
</context>
<context>
    <name>roster</name>
    <message>
        <source>%1 is deactivated: activate the user first.</source>
        <translation>%1 ist deaktiviert: Aktivieren Sie den Benutzer zuerst.</translation>
    </message>
    <message>
        <source>%1 has already confirmed the invitation.</source>
        <translation>%1 hat die Einladung bereits bestätigt.</translation>
    </message>
    <message>
        <source>%1 was invited moments ago: you can re-invite in %2 min.</source>
        <translation>%1 wurde gerade erst eingeladen: Eine neue Einladung ist in %2 Min. möglich.</translation>
    </message>
    <message>
        <source>The name is empty: give the user&apos;s full name.</source>
        <translation>Der Name ist leer: Geben Sie den vollständigen Namen des Benutzers ein.</translation>
    </message>
    <message>
        <source>The name is %1 characters long: use at most 200.</source>
        <translation>Der Name ist %1 Zeichen lang: Verwenden Sie höchstens 200.</translation>
    </message>
    <message>
        <source>The name holds a control character (such as a line break): remove it.</source>
        <translation>Der Name enthält ein Steuerzeichen (etwa einen Zeilenumbruch): Entfernen Sie es.</translation>
    </message>
    <message>
        <source>%1 is %2 characters long: use at most %3.</source>
        <translation>%1 ist %2 Zeichen lang: Verwenden Sie höchstens %3.</translation>
    </message>
    <message>
        <source>%1 holds a control character (such as a line break): remove it.</source>
        <translation>%1 enthält ein Steuerzeichen (etwa einen Zeilenumbruch): Entfernen Sie es.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a usable accept URL: give an http(s) address such as https://crm.example.com/accept.</source>
        <translation>„%1“ ist keine brauchbare Annahme-URL: Geben Sie eine http(s)-Adresse wie https://crm.example.com/accept an.</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>The export stopped at row %1: the database could not be read. Nothing was written.</source>
        <translation>Der Export brach bei Zeile %1 ab: Die Datenbank konnte nicht gelesen werden. Es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <source>Export cancelled: nothing was written.</source>
        <translation>Export abgebrochen: Es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <source>Re-invite</source>
        <translation>Erneut einladen</translation>
    </message>
    <message>
        <source>Send %1 a new invitation; earlier links stop working.</source>
        <translation>%1 eine neue Einladung senden; frühere Links funktionieren dann nicht mehr.</translation>
    </message>
    <message>
        <source>You cannot deactivate yourself.</source>
        <translation>Sie können sich nicht selbst deaktivieren.</translation>
    </message>
    <message>
        <source>Deactivate</source>
        <translation>Deaktivieren</translation>
    </message>
    <message>
        <source>Activate</source>
        <translation>Aktivieren</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Bearbeiten…</translation>
    </message>
    <message>
        <source>Copy email</source>
        <translation>E-Mail kopieren</translation>
    </message>
    <message>
        <source>Copy invite link</source>
        <translation>Einladungslink kopieren</translation>
    </message>
    <message>
        <source>Make a new invitation and copy its link instead of mailing it.</source>
        <translation>Eine neue Einladung erstellen und ihren Link kopieren, statt ihn zu mailen.</translation>
    </message>
    <message>
        <source>Only an Administrator can edit an administrator.</source>
        <translation>Nur ein Administrator kann einen Administrator bearbeiten.</translation>
    </message>
    <message>
        <source>Invitation history…</source>
        <translation>Einladungsverlauf…</translation>
    </message>
    <message>
        <source>Every invitation %1 was sent, with its mail&apos;s state.</source>
        <translation>Jede Einladung, die %1 erhalten hat, mit dem Zustand ihrer Mail.</translation>
    </message>
    <message>
        <source>This invitation link is not valid: check that it was copied whole, or ask your administrator for a new invitation.</source>
        <translation>Dieser Einladungslink ist ungültig: Prüfen Sie, ob er vollständig kopiert wurde, oder bitten Sie Ihren Administrator um eine neue Einladung.</translation>
    </message>
    <message>
        <source>This invitation was already accepted: sign in instead.</source>
        <translation>Diese Einladung wurde bereits angenommen: Melden Sie sich stattdessen an.</translation>
    </message>
    <message>
        <source>This account is deactivated: ask your administrator.</source>
        <translation>Dieses Konto ist deaktiviert: Wenden Sie sich an Ihren Administrator.</translation>
    </message>
    <message>
        <source>This invitation is still valid: use it to set your password.</source>
        <translation>Diese Einladung ist noch gültig: Legen Sie damit Ihr Passwort fest.</translation>
    </message>
    <message>
        <source>invitation %1 (superseded)</source>
        <translation>Einladung %1 (ersetzt)</translation>
    </message>
    <message>
        <source>invitation %1 (expired)</source>
        <translation>Einladung %1 (abgelaufen)</translation>
    </message>
    <message>
        <source>%1 has confirmed the invitation: a confirmed user&apos;s address is not changed by a new invitation.</source>
        <translation>%1 hat die Einladung bestätigt: Die Adresse eines bestätigten Benutzers wird durch eine neue Einladung nicht geändert.</translation>
    </message>
    <message>
        <source>%1 is already this user&apos;s address.</source>
        <translation>%1 ist bereits die Adresse dieses Benutzers.</translation>
    </message>
    <message>
        <source>Cannot read the key file %1: %2</source>
        <translation>Die Schlüsseldatei %1 kann nicht gelesen werden: %2</translation>
    </message>
    <message>
        <source>The key file %1 is not a regular file: install the organisation&apos;s key file there (mode 0600).</source>
        <translation>Die Schlüsseldatei %1 ist keine reguläre Datei: Legen Sie dort die Schlüsseldatei der Organisation ab (Modus 0600).</translation>
    </message>
    <message>
        <source>The key file %1 can be read by other users (mode %2): make it private with &quot;chmod 600 %1&quot;.</source>
        <translation>Die Schlüsseldatei %1 ist für andere Benutzer lesbar (Modus %2): Machen Sie sie mit „chmod 600 %1“ privat.</translation>
    </message>
    <message>
        <source>The key file %1 is damaged.</source>
        <translation>Die Schlüsseldatei %1 ist beschädigt.</translation>
    </message>
    <message>
        <source>Cannot write the key file %1: %2</source>
        <translation>Die Schlüsseldatei %1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>Only an Administrator can activate or deactivate an administrator.</source>
        <translation>Nur ein Administrator kann einen Administrator aktivieren oder deaktivieren.</translation>
    </message>
    <message>
        <source>A mistyped address bounces again. Change the address, or re-invite anyway?</source>
        <translation>Eine falsch geschriebene Adresse kommt wieder als unzustellbar zurück. Die Adresse ändern oder trotzdem erneut einladen?</translation>
    </message>
    <message>
        <source>&amp;Change email…</source>
        <translation>E-Mail &amp;ändern…</translation>
    </message>
    <message>
        <source>&amp;Re-invite anyway</source>
        <translation>&amp;Trotzdem erneut einladen</translation>
    </message>
    <message>
        <source>The last invitation bounced for 1 of the %1 selected users.</source>
        <translation>Die letzte Einladung kam bei 1 der %1 ausgewählten Benutzer als unzustellbar zurück.</translation>
    </message>
    <message>
        <source>The last invitation bounced for %1 of the %2 selected users.</source>
        <translation>Die letzte Einladung kam bei %1 der %2 ausgewählten Benutzer als unzustellbar zurück.</translation>
    </message>
    <message>
        <source>Skip them (fix their addresses with Change email and re-invite), or re-invite them too?</source>
        <translation>Diese überspringen (ihre Adressen mit „E-Mail ändern und erneut einladen“ korrigieren) oder sie ebenfalls erneut einladen?</translation>
    </message>
    <message>
        <source>&amp;Skip them</source>
        <translation>&amp;Überspringen</translation>
    </message>
    <message>
        <source>&amp;Re-invite them too</source>
        <translation>&amp;Ebenfalls erneut einladen</translation>
    </message>
    <message>
        <source>Change email and re-invite…</source>
        <translation>E-Mail ändern und erneut einladen…</translation>
    </message>
    <message>
        <source>Give %1 a new address and send the invitation there; earlier links stop working.</source>
        <translation>%1 eine neue Adresse geben und die Einladung dorthin senden; frühere Links funktionieren dann nicht mehr.</translation>
    </message>
    <message>
        <source>%1 was written by a newer Roster (schema %2; this program knows up to %3). Use a newer Roster; the database was not changed.</source>
        <translation>%1 wurde von einem neueren Roster geschrieben (Schema %2; dieses Programm kennt bis %3). Verwenden Sie ein neueres Roster; die Datenbank wurde nicht verändert.</translation>
    </message>
</context>
<context>
    <name>roster::AddUserDialog</name>
    <message>
        <source>Add Portal User</source>
        <translation>Portalbenutzer hinzufügen</translation>
    </message>
    <message>
        <source>Add New User</source>
        <translation>Neuen Benutzer hinzufügen</translation>
    </message>
    <message>
        <source>The user gets an invitation mail at once; its link works for 7 days.</source>
        <translation>Der Benutzer erhält sofort eine Einladungsmail; ihr Link ist 7 Tage gültig.</translation>
    </message>
    <message>
        <source>Add and &amp;invite</source>
        <translation>Hinzufügen und &amp;einladen</translation>
    </message>
</context>
<context>
    <name>roster::AuditPage</name>
    <message>
        <source>Audit log</source>
        <translation>Änderungsprotokoll</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>A&amp;ktualisieren</translation>
    </message>
    <message>
        <source>The latest %1 changes, newest first.</source>
        <translation>Die letzten %1 Änderungen, neueste zuerst.</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Wann</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>Wer</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Aktion</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>Details</translation>
    </message>
</context>
<context>
    <name>roster::AuthService</name>
    <message>
        <source>Your account no longer exists.</source>
        <translation>Ihr Konto existiert nicht mehr.</translation>
    </message>
    <message>
        <source>Your account is not active.</source>
        <translation>Ihr Konto ist nicht aktiv.</translation>
    </message>
    <message>
        <source>Your profile (%1) may not manage users: ask an administrator.</source>
        <translation>Ihr Profil (%1) darf keine Benutzer verwalten: Wenden Sie sich an einen Administrator.</translation>
    </message>
    <message>
        <source>Wrong email or password.</source>
        <translation>E-Mail oder Passwort ist falsch.</translation>
    </message>
    <message>
        <source>%1 wrong passwords; locked for 15 minutes</source>
        <translation>%1 falsche Passwörter; für 15 Minuten gesperrt</translation>
    </message>
    <message>
        <source>wrong password</source>
        <translation>falsches Passwort</translation>
    </message>
    <message>
        <source>%1 already has users: sign in as an administrator to add more.</source>
        <translation>%1 hat bereits Benutzer: Melden Sie sich als Administrator an, um weitere hinzuzufügen.</translation>
    </message>
    <message>
        <source>The new administrator was not stored.</source>
        <translation>Der neue Administrator wurde nicht gespeichert.</translation>
    </message>
    <message>
        <source>first administrator</source>
        <translation>erster Administrator</translation>
    </message>
    <message>
        <source>Your account was locked for 15 minutes after %1 wrong passwords, until %2. If that was not you, change your password and tell your administrator.</source>
        <translation>Ihr Konto wurde nach %1 falschen Passwörtern für 15 Minuten gesperrt, bis %2. Wenn Sie das nicht waren, ändern Sie Ihr Passwort und informieren Sie Ihren Administrator.</translation>
    </message>
</context>
<context>
    <name>roster::BounceService</name>
    <message>
        <source>(no diagnostic)</source>
        <translation>(keine Diagnose)</translation>
    </message>
    <message>
        <source>The bounce mailbox is not configured: run &quot;rosterctl bounces configure --host …&quot;.</source>
        <translation>Das Rückläufer-Postfach ist nicht eingerichtet: Führen Sie „rosterctl bounces configure --host …“ aus.</translation>
    </message>
    <message>
        <source>The IMAP password was saved on another computer (its key file is missing here): enter it again.</source>
        <translation>Das IMAP-Passwort wurde auf einem anderen Computer gespeichert (seine Schlüsseldatei fehlt hier): Geben Sie es erneut ein.</translation>
    </message>
</context>
<context>
    <name>roster::ChangeEmailDialog</name>
    <message>
        <source>Change email of %1</source>
        <translation>E-Mail-Adresse von %1 ändern</translation>
    </message>
    <message>
        <source>%1 has not confirmed the invitation to %2. Give the right address: the open invitations are revoked and a new one is sent there.</source>
        <translation>%1 hat die Einladung an %2 nicht bestätigt. Geben Sie die richtige Adresse an: Die offenen Einladungen werden widerrufen und eine neue wird dorthin gesendet.</translation>
    </message>
    <message>
        <source>Current address:</source>
        <translation>Aktuelle Adresse:</translation>
    </message>
    <message>
        <source>&amp;New address:</source>
        <translation>&amp;Neue Adresse:</translation>
    </message>
    <message>
        <source>&amp;Change and re-invite</source>
        <translation>Ä&amp;ndern und erneut einladen</translation>
    </message>
</context>
<context>
    <name>roster::ChangeNotifier</name>
    <message>
        <source>Cannot listen for changes on %1: %2</source>
        <translation>Auf Änderungen an %1 kann nicht gewartet werden: %2</translation>
    </message>
</context>
<context>
    <name>roster::Database</name>
    <message>
        <source>No database given: pass --db PATH or set ROSTER_DB.</source>
        <translation>Keine Datenbank angegeben: Übergeben Sie --db PFAD oder setzen Sie ROSTER_DB.</translation>
    </message>
    <message>
        <source>The PostgreSQL driver for Qt is not installed (Debian package libqt6sql6-psql).</source>
        <translation>Der PostgreSQL-Treiber für Qt ist nicht installiert (Debian-Paket libqt6sql6-psql).</translation>
    </message>
    <message>
        <source>Unknown database URL scheme in &quot;%1&quot;: use a file path or a postgresql:// URL.</source>
        <translation>Unbekanntes Schema der Datenbank-URL in „%1“: Verwenden Sie einen Dateipfad oder eine postgresql://-URL.</translation>
    </message>
    <message>
        <source>%1 is a folder, not a database file.</source>
        <translation>%1 ist ein Ordner, keine Datenbankdatei.</translation>
    </message>
    <message>
        <source>The folder %1 does not exist: create it first or choose another path.</source>
        <translation>Der Ordner %1 existiert nicht: Legen Sie ihn zuerst an oder wählen Sie einen anderen Pfad.</translation>
    </message>
    <message>
        <source>No database at %1: create one with &quot;rosterctl init&quot;.</source>
        <translation>Keine Datenbank unter %1: Legen Sie eine mit „rosterctl init“ an.</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>%1 kann nicht gelesen werden: %2</translation>
    </message>
    <message>
        <source>%1 is not a Roster database (it is not an SQLite file).</source>
        <translation>%1 ist keine Roster-Datenbank (keine SQLite-Datei).</translation>
    </message>
    <message>
        <source>%1 is empty: create a database with &quot;rosterctl init&quot;.</source>
        <translation>%1 ist leer: Legen Sie eine Datenbank mit „rosterctl init“ an.</translation>
    </message>
    <message>
        <source>Cannot open %1: %2</source>
        <translation>%1 kann nicht geöffnet werden: %2</translation>
    </message>
    <message>
        <source>Cannot read the database URL: write it as postgresql://user:password@host:port/dbname.</source>
        <translation>Die Datenbank-URL ist unlesbar: Schreiben Sie sie als postgresql://benutzer:passwort@host:port/dbname.</translation>
    </message>
    <message>
        <source>The database URL&apos;s %1 may not contain spaces, quotes or semicolons.</source>
        <translation>%1 der Datenbank-URL darf keine Leerzeichen, Anführungszeichen oder Semikolons enthalten.</translation>
    </message>
    <message>
        <source>Cannot connect to %1: %2</source>
        <translation>Keine Verbindung zu %1: %2</translation>
    </message>
    <message>
        <source>Lost the connection to %1 and cannot reconnect: %2</source>
        <translation>Die Verbindung zu %1 ist abgerissen und lässt sich nicht wiederherstellen: %2</translation>
    </message>
    <message>
        <source>The database %1 is locked by another program; try again when it has finished.</source>
        <translation>Die Datenbank %1 ist von einem anderen Programm gesperrt; versuchen Sie es erneut, wenn es fertig ist.</translation>
    </message>
    <message>
        <source>The database %1 is read-only: check the file&apos;s permissions.</source>
        <translation>Die Datenbank %1 ist schreibgeschützt: Prüfen Sie die Dateiberechtigungen.</translation>
    </message>
    <message>
        <source>%1 is damaged or not a Roster database.</source>
        <translation>%1 ist beschädigt oder keine Roster-Datenbank.</translation>
    </message>
    <message>
        <source>The disk holding %1 is full.</source>
        <translation>Der Datenträger mit %1 ist voll.</translation>
    </message>
    <message>
        <source>Lost the connection to %1 (%2): this change was not saved; Roster reconnects on the next action.</source>
        <translation>Die Verbindung zu %1 ist abgerissen (%2): Diese Änderung wurde nicht gespeichert; Roster verbindet sich bei der nächsten Aktion neu.</translation>
    </message>
    <message>
        <source>Someone else just made the same change: reload and try again.</source>
        <translation>Jemand hat gerade dieselbe Änderung vorgenommen: Laden Sie neu und versuchen Sie es noch einmal.</translation>
    </message>
    <message>
        <source>Another administrator changed the same users at the same moment: try again.</source>
        <translation>Ein anderer Administrator hat im selben Moment dieselben Benutzer geändert: Versuchen Sie es noch einmal.</translation>
    </message>
    <message>
        <source>The database user may not do this on %1: %2</source>
        <translation>Der Datenbankbenutzer darf dies auf %1 nicht: %2</translation>
    </message>
    <message>
        <source>Database error: %1</source>
        <translation>Datenbankfehler: %1</translation>
    </message>
    <message>
        <source>%1 holds another program&apos;s tables, not a Roster database.</source>
        <translation>%1 enthält die Tabellen eines anderen Programms, keine Roster-Datenbank.</translation>
    </message>
    <message>
        <source>Cannot upgrade %1 to schema %2: %3</source>
        <translation>%1 kann nicht auf Schema %2 aktualisiert werden: %3</translation>
    </message>
    <message>
        <source>The query was cancelled.</source>
        <translation>Die Abfrage wurde abgebrochen.</translation>
    </message>
</context>
<context>
    <name>roster::EditUserDialog</name>
    <message>
        <source>Edit %1</source>
        <translation>%1 bearbeiten</translation>
    </message>
    <message>
        <source>The email stays as it is: changing an address is a new invitation (add the user with the new address).</source>
        <translation>Die E-Mail-Adresse bleibt, wie sie ist: Eine Adresse zu ändern bedeutet eine neue Einladung (fügen Sie den Benutzer mit der neuen Adresse hinzu).</translation>
    </message>
</context>
<context>
    <name>roster::EmailSettingsPage</name>
    <message>
        <source>Email settings</source>
        <translation>E-Mail-Einstellungen</translation>
    </message>
    <message>
        <source> min</source>
        <translation> Min.</translation>
    </message>
    <message>
        <source>How long after an invitation the same user cannot be re-invited</source>
        <translation>Wie lange nach einer Einladung derselbe Benutzer nicht erneut eingeladen werden kann</translation>
    </message>
    <message>
        <source>Invitations</source>
        <translation>Einladungen</translation>
    </message>
    <message>
        <source>&amp;Organisation:</source>
        <translation>&amp;Organisation:</translation>
    </message>
    <message>
        <source>Sender &amp;name:</source>
        <translation>Absender&amp;name:</translation>
    </message>
    <message>
        <source>Sender &amp;address:</source>
        <translation>Absender&amp;adresse:</translation>
    </message>
    <message>
        <source>A&amp;ccept URL:</source>
        <translation>Annahme-&amp;URL:</translation>
    </message>
    <message>
        <source>&amp;Portal accept URL:</source>
        <translation>&amp;Portal-Annahme-URL:</translation>
    </message>
    <message>
        <source>Re-invite &amp;cooldown:</source>
        <translation>Sperr&amp;frist für erneute Einladung:</translation>
    </message>
    <message>
        <source>Files in a folder (no server)</source>
        <translation>Dateien in einem Ordner (kein Server)</translation>
    </message>
    <message>
        <source>SMTP server</source>
        <translation>SMTP-Server</translation>
    </message>
    <message>
        <source>&amp;Folder:</source>
        <translation>&amp;Ordner:</translation>
    </message>
    <message>
        <source>STARTTLS</source>
        <translation>STARTTLS</translation>
    </message>
    <message>
        <source>TLS (implicit)</source>
        <translation>TLS (implizit)</translation>
    </message>
    <message>
        <source>None (not encrypted)</source>
        <translation>Keine (unverschlüsselt)</translation>
    </message>
    <message>
        <source>system certificates</source>
        <translation>System-Zertifikate</translation>
    </message>
    <message>
        <source>Allow the password over an unencrypted connection</source>
        <translation>Passwort über eine unverschlüsselte Verbindung erlauben</translation>
    </message>
    <message>
        <source>&amp;Server:</source>
        <translation>&amp;Server:</translation>
    </message>
    <message>
        <source>P&amp;ort:</source>
        <translation>P&amp;ort:</translation>
    </message>
    <message>
        <source>S&amp;ecurity:</source>
        <translation>S&amp;icherheit:</translation>
    </message>
    <message>
        <source>&amp;User:</source>
        <translation>&amp;Benutzer:</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>Pass&amp;wort:</translation>
    </message>
    <message>
        <source>CA &amp;file:</source>
        <translation>CA-&amp;Datei:</translation>
    </message>
    <message>
        <source>Delivery</source>
        <translation>Zustellung</translation>
    </message>
    <message>
        <source>&amp;Transport:</source>
        <translation>&amp;Transport:</translation>
    </message>
    <message>
        <source>&amp;Save settings</source>
        <translation>Einstellungen &amp;speichern</translation>
    </message>
    <message>
        <source>Re&amp;vert</source>
        <translation>&amp;Zurücksetzen</translation>
    </message>
    <message>
        <source>recipient for a test message</source>
        <translation>Empfänger einer Testnachricht</translation>
    </message>
    <message>
        <source>Send &amp;test email</source>
        <translation>&amp;Test-E-Mail senden</translation>
    </message>
    <message>
        <source>Only an Administrator may change the mail settings.</source>
        <translation>Nur ein Administrator darf die Mail-Einstellungen ändern.</translation>
    </message>
    <message>
        <source>(stored; type to replace)</source>
        <translation>(gespeichert; zum Ersetzen tippen)</translation>
    </message>
    <message>
        <source>The organisation</source>
        <translation>Die Organisation</translation>
    </message>
    <message>
        <source>Mail settings saved.</source>
        <translation>Mail-Einstellungen gespeichert.</translation>
    </message>
    <message>
        <source>Sending a test message to %1…</source>
        <translation>Testnachricht an %1 wird gesendet…</translation>
    </message>
    <message>
        <source>Test message sent to %1.</source>
        <translation>Testnachricht an %1 gesendet.</translation>
    </message>
    <message>
        <source>The test message to %1 was not sent: %2</source>
        <translation>Die Testnachricht an %1 wurde nicht gesendet: %2</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>Aus</translation>
    </message>
    <message>
        <source> days before expiry</source>
        <translation> Tage vor Ablauf</translation>
    </message>
    <message>
        <source>Re-invite unconfirmed users once, this many days before their invitation expires (sent by the console&apos;s background delivery and by rosterctl outbox deliver)</source>
        <translation>Unbestätigte Benutzer einmal erneut einladen, so viele Tage bevor ihre Einladung abläuft (gesendet von der Hintergrundzustellung der Konsole und von rosterctl outbox deliver)</translation>
    </message>
    <message>
        <source>Automatic &amp;reminder:</source>
        <translation>Automatische &amp;Erinnerung:</translation>
    </message>
    <message>
        <source>Bounces</source>
        <translation>Rückläufer</translation>
    </message>
    <message>
        <source>none: bounces go to the sender address</source>
        <translation>keine: Rückläufer gehen an die Absenderadresse</translation>
    </message>
    <message>
        <source>The envelope sender of invitation mail; Roster tags it per message (bounces+TAG@…), so it must not hold &apos;+&apos;.</source>
        <translation>Der Umschlagabsender der Einladungsmails; Roster markiert ihn je Nachricht (bounces+TAG@…), daher darf er kein „+“ enthalten.</translation>
    </message>
    <message>
        <source>none: bounces are not read</source>
        <translation>keiner: Rückläufer werden nicht gelesen</translation>
    </message>
    <message>
        <source>Allow the mailbox password over an unencrypted connection</source>
        <translation>Postfach-Passwort über eine unverschlüsselte Verbindung erlauben</translation>
    </message>
    <message>
        <source>Te&amp;st mailbox</source>
        <translation>Postfach te&amp;sten</translation>
    </message>
    <message>
        <source>Sign in to the mailbox with these settings and count its unseen messages</source>
        <translation>Mit diesen Einstellungen am Postfach anmelden und seine ungelesenen Nachrichten zählen</translation>
    </message>
    <message>
        <source>Bounce a&amp;ddress:</source>
        <translation>Rückläufer-A&amp;dresse:</translation>
    </message>
    <message>
        <source>&amp;IMAP server:</source>
        <translation>&amp;IMAP-Server:</translation>
    </message>
    <message>
        <source>Po&amp;rt:</source>
        <translation>Po&amp;rt:</translation>
    </message>
    <message>
        <source>Securit&amp;y:</source>
        <translation>Sic&amp;herheit:</translation>
    </message>
    <message>
        <source>Mailbox &amp;user:</source>
        <translation>Postfach-&amp;Benutzer:</translation>
    </message>
    <message>
        <source>Mailbox pa&amp;ssword:</source>
        <translation>Postfach-Pa&amp;sswort:</translation>
    </message>
    <message>
        <source>Mailbo&amp;x folder:</source>
        <translation>Postfach-&amp;Ordner:</translation>
    </message>
    <message>
        <source>CA fi&amp;le:</source>
        <translation>CA-Dat&amp;ei:</translation>
    </message>
    <message>
        <source>Only an Administrator may read the bounce mailbox.</source>
        <translation>Nur ein Administrator darf das Rückläufer-Postfach lesen.</translation>
    </message>
    <message>
        <source>The password is sealed in the database with the organisation&apos;s key: every computer that holds the key file can send.</source>
        <translation>Das Passwort ist mit dem Schlüssel der Organisation versiegelt in der Datenbank gespeichert: Jeder Computer, der die Schlüsseldatei hat, kann senden.</translation>
    </message>
    <message>
        <source>No SMTP password is saved for the organisation: enter it, or mail stays queued.</source>
        <translation>Für die Organisation ist kein SMTP-Passwort gespeichert: Geben Sie es ein, sonst bleiben die Mails in der Warteschlange.</translation>
    </message>
    <message>
        <source>The sender&apos;s name</source>
        <translation>Der Name des Absenders</translation>
    </message>
    <message>
        <source>The user</source>
        <translation>Der Benutzer</translation>
    </message>
    <message>
        <source>The host</source>
        <translation>Der Host</translation>
    </message>
    <message>
        <source>The mailbox folder</source>
        <translation>Der Postfach-Ordner</translation>
    </message>
    <message>
        <source>Signing in to %1…</source>
        <translation>Anmeldung bei %1…</translation>
    </message>
    <message>
        <source>Signed in to %1: 1 unseen message in %2.</source>
        <translation>Bei %1 angemeldet: 1 ungelesene Nachricht in %2.</translation>
    </message>
    <message>
        <source>Signed in to %1: %2 unseen messages in %3.</source>
        <translation>Bei %1 angemeldet: %2 ungelesene Nachrichten in %3.</translation>
    </message>
    <message>
        <source>The bounce mailbox cannot be read: %1</source>
        <translation>Das Rückläufer-Postfach kann nicht gelesen werden: %1</translation>
    </message>
</context>
<context>
    <name>roster::ImapClient</name>
    <message>
        <source>The bounce mailbox settings are not valid: %1</source>
        <translation>Die Einstellungen des Rückläufer-Postfachs sind ungültig: %1</translation>
    </message>
    <message>
        <source>TLS is not available in this installation (%1).</source>
        <translation>TLS ist in dieser Installation nicht verfügbar (%1).</translation>
    </message>
    <message>
        <source>The IMAP server %1 was not found: check the host name.</source>
        <translation>Der IMAP-Server %1 wurde nicht gefunden: Prüfen Sie den Hostnamen.</translation>
    </message>
    <message>
        <source>The IMAP server %1 refused the connection: is it running, and is the port right?</source>
        <translation>Der IMAP-Server %1 hat die Verbindung abgelehnt: Läuft er, und stimmt der Port?</translation>
    </message>
    <message>
        <source>Could not connect to the IMAP server %1 in time.</source>
        <translation>Keine rechtzeitige Verbindung zum IMAP-Server %1.</translation>
    </message>
    <message>
        <source>The IMAP server did not answer in time (%1).</source>
        <translation>Der IMAP-Server hat nicht rechtzeitig geantwortet (%1).</translation>
    </message>
    <message>
        <source>The IMAP server closed the connection unexpectedly (%1).</source>
        <translation>Der IMAP-Server hat die Verbindung unerwartet geschlossen (%1).</translation>
    </message>
    <message>
        <source>Network error while talking to the IMAP server: %1</source>
        <translation>Netzwerkfehler bei der Kommunikation mit dem IMAP-Server: %1</translation>
    </message>
    <message>
        <source>The IMAP server sent an invalid response: %1</source>
        <translation>Der IMAP-Server hat eine ungültige Antwort gesendet: %1</translation>
    </message>
    <message>
        <source>The IMAP server sent more than allowed: %1</source>
        <translation>Der IMAP-Server hat mehr gesendet als erlaubt: %1</translation>
    </message>
    <message>
        <source>The IMAP server ended the session: %1</source>
        <translation>Der IMAP-Server hat die Sitzung beendet: %1</translation>
    </message>
    <message>
        <source>The IMAP server refused STARTTLS (%1); nothing was sent in clear text.</source>
        <translation>Der IMAP-Server hat STARTTLS abgelehnt (%1); es wurde nichts im Klartext gesendet.</translation>
    </message>
    <message>
        <source>The IMAP server sent data before the TLS handshake (a STARTTLS injection attack?); the connection was aborted.</source>
        <translation>Der IMAP-Server hat vor dem TLS-Handshake Daten gesendet (ein STARTTLS-Injection-Angriff?); die Verbindung wurde abgebrochen.</translation>
    </message>
    <message>
        <source>TLS with the IMAP server failed: %1</source>
        <translation>TLS mit dem IMAP-Server ist fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Refusing to send the IMAP password over an unencrypted connection: use STARTTLS or TLS, or allow plain-text authentication explicitly.</source>
        <translation>Das IMAP-Passwort wird nicht über eine unverschlüsselte Verbindung gesendet: Verwenden Sie STARTTLS oder TLS, oder erlauben Sie Klartext-Authentifizierung ausdrücklich.</translation>
    </message>
    <message>
        <source>The IMAP server rejected the user name or password: %1</source>
        <translation>Der IMAP-Server hat Benutzername oder Passwort abgelehnt: %1</translation>
    </message>
    <message>
        <source>The bounce mailbox could not be opened: %1</source>
        <translation>Das Rückläufer-Postfach konnte nicht geöffnet werden: %1</translation>
    </message>
    <message>
        <source>The IMAP server refused a command: %1</source>
        <translation>Der IMAP-Server hat einen Befehl abgelehnt: %1</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <source>an unexpected continuation request</source>
        <translation>eine unerwartete Fortsetzungsanforderung</translation>
    </message>
    <message>
        <source>a reply tagged &quot;%1&quot; that answers no command in flight</source>
        <translation>eine Antwort mit dem Tag „%1“, die zu keinem laufenden Befehl gehört</translation>
    </message>
    <message>
        <source>a reply tagged &quot;%1&quot; that came before its command</source>
        <translation>eine Antwort mit dem Tag „%1“, die vor ihrem Befehl kam</translation>
    </message>
    <message>
        <source>a tagged reply &quot;%1&quot;</source>
        <translation>eine Antwort mit Tag „%1“</translation>
    </message>
    <message>
        <source>a PREAUTH greeting</source>
        <translation>eine PREAUTH-Begrüßung</translation>
    </message>
    <message>
        <source>the greeting &quot;%1&quot;</source>
        <translation>die Begrüßung „%1“</translation>
    </message>
    <message>
        <source>an untagged response with no command in flight: &quot;%1&quot;</source>
        <translation>eine Antwort ohne Tag, während kein Befehl läuft: „%1“</translation>
    </message>
    <message>
        <source>a message (UID %1) that was not asked for</source>
        <translation>eine nicht angeforderte Nachricht (UID %1)</translation>
    </message>
    <message>
        <source>SELECT gave no UIDVALIDITY</source>
        <translation>SELECT lieferte keine UIDVALIDITY</translation>
    </message>
    <message>
        <source>an unexpected reply &quot;%1&quot;</source>
        <translation>eine unerwartete Antwort „%1“</translation>
    </message>
    <message>
        <source>a user name, password or mailbox holds a line break or NUL</source>
        <translation>ein Benutzername, Passwort oder Postfach enthält einen Zeilenumbruch oder NUL</translation>
    </message>
</context>
<context>
    <name>roster::InvitationHistoryDialog</name>
    <message>
        <source>Invitation history — %1</source>
        <translation>Einladungsverlauf — %1</translation>
    </message>
    <message>
        <source>Sent at</source>
        <translation>Gesendet am</translation>
    </message>
    <message>
        <source>By</source>
        <translation>Von</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Läuft ab</translation>
    </message>
    <message>
        <source>Mail</source>
        <translation>Mail</translation>
    </message>
    <message>
        <source>Server reply</source>
        <translation>Serverantwort</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <source>Invitations of %1</source>
        <translation>Einladungen an %1</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>A&amp;ktualisieren</translation>
    </message>
    <message>
        <source>%1 has never been invited.</source>
        <translation>%1 wurde noch nie eingeladen.</translation>
    </message>
    <message>
        <source>%1 was invited once.</source>
        <translation>%1 wurde einmal eingeladen.</translation>
    </message>
    <message>
        <source>%1 was invited %2 times.</source>
        <translation>%1 wurde %2-mal eingeladen.</translation>
    </message>
    <message>
        <source>Accepted %1</source>
        <translation>Angenommen %1</translation>
    </message>
    <message>
        <source>Revoked %1 (replaced)</source>
        <translation>Widerrufen %1 (ersetzt)</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>Abgelaufen</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Offen</translation>
    </message>
    <message>
        <source>Link copied (no mail)</source>
        <translation>Link kopiert (keine Mail)</translation>
    </message>
</context>
<context>
    <name>roster::InvitationService</name>
    <message>
        <source>This invitation link is not valid: check that it was copied whole, or ask for a new invitation.</source>
        <translation>Dieser Einladungslink ist ungültig: Prüfen Sie, ob er vollständig kopiert wurde, oder bitten Sie um eine neue Einladung.</translation>
    </message>
    <message>
        <source>This invitation was already accepted: sign in instead.</source>
        <translation>Diese Einladung wurde bereits angenommen: Melden Sie sich stattdessen an.</translation>
    </message>
    <message>
        <source>This invitation was replaced by a newer one: use the link in the latest invitation mail.</source>
        <translation>Diese Einladung wurde durch eine neuere ersetzt: Verwenden Sie den Link aus der letzten Einladungsmail.</translation>
    </message>
    <message>
        <source>This invitation was withdrawn: ask your administrator to invite you again.</source>
        <translation>Diese Einladung wurde zurückgezogen: Bitten Sie Ihren Administrator, Sie erneut einzuladen.</translation>
    </message>
    <message>
        <source>This invitation expired on %1: ask your administrator to invite you again.</source>
        <translation>Diese Einladung ist am %1 abgelaufen: Bitten Sie Ihren Administrator, Sie erneut einzuladen.</translation>
    </message>
    <message>
        <source>This account is deactivated: ask your administrator.</source>
        <translation>Dieses Konto ist deaktiviert: Wenden Sie sich an Ihren Administrator.</translation>
    </message>
    <message>
        <source>This invitation was already accepted.</source>
        <translation>Diese Einladung wurde bereits angenommen.</translation>
    </message>
    <message>
        <source>invitation %1</source>
        <translation>Einladung %1</translation>
    </message>
    <message>
        <source>superseded by a newer invitation</source>
        <translation>durch eine neuere Einladung ersetzt</translation>
    </message>
    <message>
        <source>The invitation was not stored.</source>
        <translation>Die Einladung wurde nicht gespeichert.</translation>
    </message>
    <message>
        <source>The invitation mail was not queued.</source>
        <translation>Die Einladungsmail wurde nicht in die Warteschlange gestellt.</translation>
    </message>
    <message>
        <source>invitation %1, expires %2</source>
        <translation>Einladung %1, läuft ab %2</translation>
    </message>
</context>
<context>
    <name>roster::MailSettingsService</name>
    <message>
        <source>--port takes a number from 1 to 65535.</source>
        <translation>--port nimmt eine Zahl von 1 bis 65535.</translation>
    </message>
    <message>
        <source>Unknown security &quot;%1&quot;: use none, starttls or tls.</source>
        <translation>Unbekannte Sicherheit „%1“: Verwenden Sie none, starttls oder tls.</translation>
    </message>
    <message>
        <source>The bounce address must not hold &apos;+&apos;: Roster adds +TAG to it.</source>
        <translation>Die Rückläufer-Adresse darf kein „+“ enthalten: Roster hängt +TAG an.</translation>
    </message>
    <message>
        <source>The host</source>
        <translation>Der Host</translation>
    </message>
    <message>
        <source>Give the IMAP server&apos;s host name.</source>
        <translation>Geben Sie den Hostnamen des IMAP-Servers an.</translation>
    </message>
    <message>
        <source>Give the SMTP server&apos;s host name.</source>
        <translation>Geben Sie den Hostnamen des SMTP-Servers an.</translation>
    </message>
    <message>
        <source>The host holds a space.</source>
        <translation>Der Host enthält ein Leerzeichen.</translation>
    </message>
    <message>
        <source>The bounce mailbox needs --host, --port, --security and --user.</source>
        <translation>Das Rückläufer-Postfach braucht --host, --port, --security und --user.</translation>
    </message>
    <message>
        <source>Cannot read the CA file %1.</source>
        <translation>Die CA-Datei %1 kann nicht gelesen werden.</translation>
    </message>
    <message>
        <source>Unknown transport &quot;%1&quot;: use file or smtp.</source>
        <translation>Unbekannter Transport „%1“: Verwenden Sie file oder smtp.</translation>
    </message>
    <message>
        <source>--transport file needs --dir DIR.</source>
        <translation>--transport file braucht --dir DIR.</translation>
    </message>
    <message>
        <source>--from already gives the sender&apos;s name: drop --from-name, or give only the address in --from.</source>
        <translation>--from gibt den Namen des Absenders bereits an: Lassen Sie --from-name weg oder geben Sie in --from nur die Adresse an.</translation>
    </message>
    <message>
        <source>--cooldown-minutes takes a number from 0 to 10080.</source>
        <translation>--cooldown-minutes nimmt eine Zahl von 0 bis 10080.</translation>
    </message>
    <message>
        <source>--reminder-days takes a number from 0 (off) to 6.</source>
        <translation>--reminder-days nimmt eine Zahl von 0 (aus) bis 6.</translation>
    </message>
    <message>
        <source>bounces configure needs --address ADDR, or --host, --port, --security and --user for the bounce mailbox.</source>
        <translation>bounces configure braucht --address ADDR oder --host, --port, --security und --user für das Rückläufer-Postfach.</translation>
    </message>
    <message>
        <source>Only an Administrator may change the mail settings.</source>
        <translation>Nur ein Administrator darf die Mail-Einstellungen ändern.</translation>
    </message>
    <message>
        <source>Give the SMTP password of %1: without it no mail can be sent.</source>
        <translation>Geben Sie das SMTP-Passwort von %1 an: Ohne es kann keine Mail gesendet werden.</translation>
    </message>
    <message>
        <source>Only an Administrator may read the bounce mailbox.</source>
        <translation>Nur ein Administrator darf das Rückläufer-Postfach lesen.</translation>
    </message>
    <message>
        <source>No SMTP password for %1: give it on standard input.</source>
        <translation>Kein SMTP-Passwort für %1: Geben Sie es über die Standardeingabe ein.</translation>
    </message>
    <message>
        <source>No IMAP password for %1: give it on standard input.</source>
        <translation>Kein IMAP-Passwort für %1: Geben Sie es über die Standardeingabe ein.</translation>
    </message>
    <message>
        <source>Give the IMAP password of %1: without it the bounce mailbox cannot be read.</source>
        <translation>Geben Sie das IMAP-Passwort von %1 an: Ohne es kann das Rückläufer-Postfach nicht gelesen werden.</translation>
    </message>
</context>
<context>
    <name>roster::MailSocket</name>
    <message>
        <source>no host name</source>
        <translation>kein Hostname</translation>
    </message>
    <message>
        <source>no port</source>
        <translation>kein Port</translation>
    </message>
    <message>
        <source>no TLS backend</source>
        <translation>kein TLS-Backend</translation>
    </message>
    <message>
        <source>the CA file %1 does not exist</source>
        <translation>die CA-Datei %1 existiert nicht</translation>
    </message>
    <message>
        <source>the CA file %1 holds no PEM certificate</source>
        <translation>die CA-Datei %1 enthält kein PEM-Zertifikat</translation>
    </message>
    <message>
        <source>the handshake timed out</source>
        <translation>der Handshake hat zu lange gedauert</translation>
    </message>
</context>
<context>
    <name>roster::MainWindow</name>
    <message>
        <source>Roster — %1</source>
        <translation>Roster — %1</translation>
    </message>
    <message>
        <source>Mail delivery: %1 The mail stays queued.</source>
        <translation>Mail-Zustellung: %1 Die Mail bleibt in der Warteschlange.</translation>
    </message>
    <message>
        <source>Setup</source>
        <translation>Einrichtung</translation>
    </message>
    <message>
        <source>Users &amp; Permissions</source>
        <translation>Benutzer &amp; Berechtigungen</translation>
    </message>
    <message>
        <source>Users</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Profiles</source>
        <translation>Profile</translation>
    </message>
    <message>
        <source>Customer Portal</source>
        <translation>Kundenportal</translation>
    </message>
    <message>
        <source>Email settings</source>
        <translation>E-Mail-Einstellungen</translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation>Änderungsprotokoll</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>A&amp;ktualisieren</translation>
    </message>
    <message>
        <source>&amp;Find user</source>
        <translation>Benutzer &amp;suchen</translation>
    </message>
    <message>
        <source>&amp;Deliver queued mail now</source>
        <translation>Wartende Mails jetzt &amp;zustellen</translation>
    </message>
    <message>
        <source>Send every invitation that is waiting, without waiting for the next automatic run</source>
        <translation>Jede wartende Einladung senden, ohne auf den nächsten automatischen Lauf zu warten</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;Go</source>
        <translation>&amp;Gehe zu</translation>
    </message>
    <message>
        <source>&amp;Users</source>
        <translation>&amp;Benutzer</translation>
    </message>
    <message>
        <source>&amp;Profiles</source>
        <translation>&amp;Profile</translation>
    </message>
    <message>
        <source>&amp;Customer Portal users</source>
        <translation>Benutzer des &amp;Kundenportals</translation>
    </message>
    <message>
        <source>&amp;Email settings</source>
        <translation>&amp;E-Mail-Einstellungen</translation>
    </message>
    <message>
        <source>&amp;Audit log</source>
        <translation>Änderungs&amp;protokoll</translation>
    </message>
    <message>
        <source>Signed in as %1</source>
        <translation>Angemeldet als %1</translation>
    </message>
    <message>
        <source>Refreshed.</source>
        <translation>Aktualisiert.</translation>
    </message>
    <message>
        <source>Read the current page again from the database (F5)</source>
        <translation>Die aktuelle Seite neu aus der Datenbank lesen (F5)</translation>
    </message>
    <message>
        <source>Search the users by name or email (Ctrl+F)</source>
        <translation>Benutzer nach Name oder E-Mail suchen (Strg+F)</translation>
    </message>
    <message>
        <source>Close Roster; queued mail waits for the next start</source>
        <translation>Roster schließen; wartende Mails warten bis zum nächsten Start</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Bearbeiten</translation>
    </message>
    <message>
        <source>Select &amp;all users</source>
        <translation>&amp;Alle Benutzer auswählen</translation>
    </message>
    <message>
        <source>Select every user of the current view, e.g. to re-invite them</source>
        <translation>Alle Benutzer der aktuellen Ansicht auswählen, etwa um sie erneut einzuladen</translation>
    </message>
    <message>
        <source>Show the page %1 (%2)</source>
        <translation>Die Seite %1 anzeigen (%2)</translation>
    </message>
    <message>
        <source>Bounce mailbox: %1 It is read again in a few minutes.</source>
        <translation>Rückläufer-Postfach: %1 Es wird in einigen Minuten erneut gelesen.</translation>
    </message>
</context>
<context>
    <name>roster::Outbox</name>
    <message>
        <source>The test message was not queued.</source>
        <translation>Die Testnachricht wurde nicht in die Warteschlange gestellt.</translation>
    </message>
    <message>
        <source>This computer does not hold the key that protects this invitation&apos;s link (%1): run the delivery where the invitation was made, or copy that key file here.</source>
        <translation>Dieser Computer hat nicht den Schlüssel, der den Link dieser Einladung schützt (%1): Führen Sie die Zustellung dort aus, wo die Einladung erstellt wurde, oder kopieren Sie die Schlüsseldatei hierher.</translation>
    </message>
    <message>
        <source>Roster test message from %1</source>
        <translation>Roster-Testnachricht von %1</translation>
    </message>
    <message>
        <source>This is a test message sent by Roster to check the mail settings. If you can read it, invitations will arrive too.
</source>
        <translation>Dies ist eine Testnachricht, die Roster zur Prüfung der Mail-Einstellungen gesendet hat. Wenn Sie sie lesen können, kommen auch Einladungen an.
</translation>
    </message>
    <message>
        <source>The message could not be built.</source>
        <translation>Die Nachricht konnte nicht erstellt werden.</translation>
    </message>
    <message>
        <source>The mail transport gave no result for this message.</source>
        <translation>Der Mail-Transport lieferte für diese Nachricht kein Ergebnis.</translation>
    </message>
</context>
<context>
    <name>roster::ProfilesPage</name>
    <message>
        <source>Profiles</source>
        <translation>Profile</translation>
    </message>
    <message>
        <source>What each profile may do. Profiles are read-only in this version.</source>
        <translation>Was jedes Profil darf. Profile sind in dieser Version schreibgeschützt.</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>Profil</translation>
    </message>
    <message>
        <source>Setup access</source>
        <translation>Zugriff auf Einrichtung</translation>
    </message>
    <message>
        <source>Manage users</source>
        <translation>Benutzer verwalten</translation>
    </message>
    <message>
        <source>Everything</source>
        <translation>Alles</translation>
    </message>
    <message>
        <source>None</source>
        <translation>Keiner</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>Ja</translation>
    </message>
    <message>
        <source>No</source>
        <translation>Nein</translation>
    </message>
</context>
<context>
    <name>roster::Sealer</name>
    <message>
        <source>Cannot create the folder for the key file %1.</source>
        <translation>Der Ordner für die Schlüsseldatei %1 kann nicht angelegt werden.</translation>
    </message>
    <message>
        <source>libsodium could not be initialised.</source>
        <translation>libsodium konnte nicht initialisiert werden.</translation>
    </message>
    <message>
        <source>This organisation already holds sealed data, but this computer has no key file %1: copy the organisation&apos;s key file there from a computer that delivers its mail (chmod 600), instead of making a new key.</source>
        <translation>Diese Organisation hat bereits versiegelte Daten, aber dieser Computer hat keine Schlüsseldatei %1: Kopieren Sie die Schlüsseldatei der Organisation von einem Computer, der ihre Mails zustellt, hierher (chmod 600), statt einen neuen Schlüssel zu erzeugen.</translation>
    </message>
</context>
<context>
    <name>roster::SignInDialog</name>
    <message>
        <source>Sign in to Roster</source>
        <translation>Bei Roster anmelden</translation>
    </message>
    <message>
        <source>Sign in to &lt;b&gt;%1&lt;/b&gt; with an administrator account.</source>
        <translation>Melden Sie sich mit einem Administratorkonto bei &lt;b&gt;%1&lt;/b&gt; an.</translation>
    </message>
    <message>
        <source>you@example.com</source>
        <translation>sie@example.com</translation>
    </message>
    <message>
        <source>&amp;Email:</source>
        <translation>&amp;E-Mail:</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>&amp;Passwort:</translation>
    </message>
    <message>
        <source>&amp;Sign in</source>
        <translation>&amp;Anmelden</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>Datenbank</translation>
    </message>
    <message>
        <source>The organisation&apos;s database; choose another to sign in there</source>
        <translation>Die Datenbank der Organisation; wählen Sie eine andere, um sich dort anzumelden</translation>
    </message>
    <message>
        <source>&amp;Database:</source>
        <translation>&amp;Datenbank:</translation>
    </message>
    <message>
        <source>Other database…</source>
        <translation>Andere Datenbank…</translation>
    </message>
</context>
<context>
    <name>roster::SmtpClient</name>
    <message>
        <source>The SMTP settings are not valid: %1</source>
        <translation>Die SMTP-Einstellungen sind ungültig: %1</translation>
    </message>
    <message>
        <source>TLS is not available in this installation (%1): install Qt&apos;s OpenSSL TLS plugin, or use security &quot;none&quot;.</source>
        <translation>TLS ist in dieser Installation nicht verfügbar (%1): Installieren Sie das OpenSSL-TLS-Plugin von Qt oder verwenden Sie die Sicherheit „none“.</translation>
    </message>
    <message>
        <source>The SMTP server %1 was not found: check the host name.</source>
        <translation>Der SMTP-Server %1 wurde nicht gefunden: Prüfen Sie den Hostnamen.</translation>
    </message>
    <message>
        <source>The SMTP server %1 refused the connection: is it running, and is the port right?</source>
        <translation>Der SMTP-Server %1 hat die Verbindung abgelehnt: Läuft er, und stimmt der Port?</translation>
    </message>
    <message>
        <source>Could not connect to the SMTP server %1 in time: check the host, the port and the firewall.</source>
        <translation>Keine rechtzeitige Verbindung zum SMTP-Server %1: Prüfen Sie Host, Port und Firewall.</translation>
    </message>
    <message>
        <source>The SMTP server did not answer in time (waiting for the reply to %1).</source>
        <translation>Der SMTP-Server hat nicht rechtzeitig geantwortet (Warten auf die Antwort auf %1).</translation>
    </message>
    <message>
        <source>The SMTP server closed the connection unexpectedly (while waiting for the reply to %1).</source>
        <translation>Der SMTP-Server hat die Verbindung unerwartet geschlossen (beim Warten auf die Antwort auf %1).</translation>
    </message>
    <message>
        <source>Network error while talking to the SMTP server: %1</source>
        <translation>Netzwerkfehler bei der Kommunikation mit dem SMTP-Server: %1</translation>
    </message>
    <message>
        <source>The SMTP server sent an invalid reply: %1</source>
        <translation>Der SMTP-Server hat eine ungültige Antwort gesendet: %1</translation>
    </message>
    <message>
        <source>The SMTP server is not available: %1</source>
        <translation>Der SMTP-Server ist nicht verfügbar: %1</translation>
    </message>
    <message>
        <source>The SMTP server does not offer STARTTLS, which the settings require; nothing was sent in clear text.</source>
        <translation>Der SMTP-Server bietet kein STARTTLS an, das die Einstellungen verlangen; es wurde nichts im Klartext gesendet.</translation>
    </message>
    <message>
        <source>The SMTP server refused STARTTLS (%1); nothing was sent in clear text.</source>
        <translation>Der SMTP-Server hat STARTTLS abgelehnt (%1); es wurde nichts im Klartext gesendet.</translation>
    </message>
    <message>
        <source>The SMTP server sent data before the TLS handshake (a STARTTLS injection attack?); the connection was aborted.</source>
        <translation>Der SMTP-Server hat vor dem TLS-Handshake Daten gesendet (ein STARTTLS-Injection-Angriff?); die Verbindung wurde abgebrochen.</translation>
    </message>
    <message>
        <source>TLS with the SMTP server failed: %1</source>
        <translation>TLS mit dem SMTP-Server ist fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>The SMTP server offers no supported authentication mechanism (offered: %1).</source>
        <translation>Der SMTP-Server bietet kein unterstütztes Authentifizierungsverfahren an (angeboten: %1).</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>Refusing to send the SMTP password over an unencrypted connection: use STARTTLS or TLS, or allow plain-text authentication explicitly.</source>
        <translation>Das SMTP-Passwort wird nicht über eine unverschlüsselte Verbindung gesendet: Verwenden Sie STARTTLS oder TLS, oder erlauben Sie Klartext-Authentifizierung ausdrücklich.</translation>
    </message>
    <message>
        <source>The SMTP server rejected the user name or password: %1</source>
        <translation>Der SMTP-Server hat Benutzername oder Passwort abgelehnt: %1</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <source>the HELO name &quot;%1&quot; is not a host name</source>
        <translation>der HELO-Name „%1“ ist kein Hostname</translation>
    </message>
    <message>
        <source>an unexpected reply &quot;%1&quot;</source>
        <translation>eine unerwartete Antwort „%1“</translation>
    </message>
    <message>
        <source>too many authentication challenges</source>
        <translation>zu viele Authentifizierungs-Challenges</translation>
    </message>
    <message>
        <source>The message has no recipient.</source>
        <translation>Die Nachricht hat keinen Empfänger.</translation>
    </message>
    <message>
        <source>Invalid envelope address &quot;%1&quot; (empty, too long, or with spaces, angle brackets or control characters); nothing was sent.</source>
        <translation>Ungültige Umschlagadresse „%1“ (leer, zu lang oder mit Leerzeichen, spitzen Klammern oder Steuerzeichen); es wurde nichts gesendet.</translation>
    </message>
    <message>
        <source>The address has non-ASCII characters and the SMTP server does not support SMTPUTF8.</source>
        <translation>Die Adresse enthält Nicht-ASCII-Zeichen, und der SMTP-Server unterstützt kein SMTPUTF8.</translation>
    </message>
    <message>
        <source>The message has a line of %1 octets; SMTP allows %2.</source>
        <translation>Die Nachricht hat eine Zeile mit %1 Oktetten; SMTP erlaubt %2.</translation>
    </message>
    <message>
        <source>(some recipients were refused: %1)</source>
        <translation>(einige Empfänger wurden abgelehnt: %1)</translation>
    </message>
    <message>
        <source>an unexpected reply &quot;%1&quot; to %2</source>
        <translation>eine unerwartete Antwort „%1“ auf %2</translation>
    </message>
</context>
<context>
    <name>roster::SmtpPasswordStore</name>
    <message>
        <source>the keyring did not answer</source>
        <translation>der Schlüsselbund hat nicht geantwortet</translation>
    </message>
</context>
<context>
    <name>roster::SmtpReplyReader</name>
    <message>
        <source>a reply line longer than %1 octets</source>
        <translation>eine Antwortzeile länger als %1 Oktette</translation>
    </message>
    <message>
        <source>reply lines with different codes (%1, then %2)</source>
        <translation>Antwortzeilen mit verschiedenen Codes (%1, dann %2)</translation>
    </message>
    <message>
        <source>a reply of more than %1 lines</source>
        <translation>eine Antwort mit mehr als %1 Zeilen</translation>
    </message>
</context>
<context>
    <name>roster::UserFormDialog</name>
    <message>
        <source>name@example.com</source>
        <translation>name@example.com</translation>
    </message>
    <message>
        <source>The email cannot be changed: a new address needs a new invitation. Add the user with the new address, then deactivate this one.</source>
        <translation>Die E-Mail-Adresse lässt sich nicht ändern: Eine neue Adresse braucht eine neue Einladung. Fügen Sie den Benutzer mit der neuen Adresse hinzu und deaktivieren Sie dann diesen.</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Name:</translation>
    </message>
    <message>
        <source>&amp;Email:</source>
        <translation>&amp;E-Mail:</translation>
    </message>
    <message>
        <source>Email:</source>
        <translation>E-Mail:</translation>
    </message>
    <message>
        <source>&amp;Profile:</source>
        <translation>&amp;Profil:</translation>
    </message>
    <message>
        <source>&amp;Account:</source>
        <translation>&amp;Konto:</translation>
    </message>
    <message>
        <source>The account</source>
        <translation>Das Konto</translation>
    </message>
</context>
<context>
    <name>roster::UserRepository</name>
    <message>
        <source>The user count came back empty.</source>
        <translation>Die Benutzerzählung lieferte kein Ergebnis.</translation>
    </message>
    <message>
        <source>No user with id %1.</source>
        <translation>Kein Benutzer mit der ID %1.</translation>
    </message>
    <message>
        <source>No portal user with the email %1.</source>
        <translation>Kein Portalbenutzer mit der E-Mail-Adresse %1.</translation>
    </message>
    <message>
        <source>No user with the email %1.</source>
        <translation>Kein Benutzer mit der E-Mail-Adresse %1.</translation>
    </message>
    <message>
        <source>No profile named &quot;%1&quot; (profiles: %2).</source>
        <translation>Kein Profil namens „%1“ (Profile: %2).</translation>
    </message>
</context>
<context>
    <name>roster::UserRowDelegate</name>
    <message>
        <source>Confirmed</source>
        <translation>Bestätigt</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>Ausstehend</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>Abgelaufen</translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation>Inaktiv</translation>
    </message>
    <message>
        <source>%1 · asked</source>
        <translation>%1 · erbeten</translation>
    </message>
</context>
<context>
    <name>roster::UserService</name>
    <message>
        <source>The account</source>
        <translation>Das Konto</translation>
    </message>
    <message>
        <source>The profile</source>
        <translation>Das Profil</translation>
    </message>
    <message>
        <source>Only an Administrator can add users with the Administrator profile.</source>
        <translation>Nur ein Administrator kann Benutzer mit dem Profil Administrator hinzufügen.</translation>
    </message>
    <message>
        <source>Portal users have no CRM profile: leave the profile out.</source>
        <translation>Portalbenutzer haben kein CRM-Profil: Lassen Sie das Profil weg.</translation>
    </message>
    <message>
        <source>%1 is already a user (%2): re-invite them instead.</source>
        <translation>%1 ist bereits Benutzer (%2): Laden Sie ihn stattdessen erneut ein.</translation>
    </message>
    <message>
        <source>The new user was not stored.</source>
        <translation>Der neue Benutzer wurde nicht gespeichert.</translation>
    </message>
    <message>
        <source>portal user</source>
        <translation>Portalbenutzer</translation>
    </message>
    <message>
        <source>%1 is already active.</source>
        <translation>%1 ist bereits aktiv.</translation>
    </message>
    <message>
        <source>%1 is already deactivated.</source>
        <translation>%1 ist bereits deaktiviert.</translation>
    </message>
    <message>
        <source>%1 is the last active administrator: add another one first.</source>
        <translation>%1 ist der letzte aktive Administrator: Fügen Sie zuerst einen weiteren hinzu.</translation>
    </message>
    <message>
        <source>Portal users have no profile: change their account instead.</source>
        <translation>Portalbenutzer haben kein Profil: Ändern Sie stattdessen ihr Konto.</translation>
    </message>
    <message>
        <source>Only portal users belong to an account: give a profile instead.</source>
        <translation>Nur Portalbenutzer gehören zu einem Konto: Geben Sie stattdessen ein Profil an.</translation>
    </message>
    <message>
        <source>Only an Administrator can give the Administrator profile.</source>
        <translation>Nur ein Administrator kann das Profil Administrator vergeben.</translation>
    </message>
    <message>
        <source>%1 is the last active administrator: make another user an administrator first.</source>
        <translation>%1 ist der letzte aktive Administrator: Machen Sie zuerst einen anderen Benutzer zum Administrator.</translation>
    </message>
    <message>
        <source>name: %1 → %2</source>
        <translation>Name: %1 → %2</translation>
    </message>
    <message>
        <source>profile: %1 → %2</source>
        <translation>Profil: %1 → %2</translation>
    </message>
    <message>
        <source>account: %1 → %2</source>
        <translation>Konto: %1 → %2</translation>
    </message>
    <message>
        <source>the user was deactivated</source>
        <translation>der Benutzer wurde deaktiviert</translation>
    </message>
    <message>
        <source>%1 is already a user (%2).</source>
        <translation>%1 ist bereits Benutzer (%2).</translation>
    </message>
    <message>
        <source>%1 → %2</source>
        <translation>%1 → %2</translation>
    </message>
    <message>
        <source>1 open invitation revoked</source>
        <translation>1 offene Einladung widerrufen</translation>
    </message>
    <message>
        <source>%1 open invitations revoked</source>
        <translation>%1 offene Einladungen widerrufen</translation>
    </message>
    <message>
        <source>1 unsent mail cancelled</source>
        <translation>1 nicht gesendete Mail abgebrochen</translation>
    </message>
    <message>
        <source>%1 unsent mails cancelled</source>
        <translation>%1 nicht gesendete Mails abgebrochen</translation>
    </message>
</context>
<context>
    <name>roster::UsersPage</name>
    <message>
        <source>Customer Portal Users</source>
        <translation>Benutzer des Kundenportals</translation>
    </message>
    <message>
        <source>Users</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>All users</source>
        <translation>Alle Benutzer</translation>
    </message>
    <message>
        <source>Active users</source>
        <translation>Aktive Benutzer</translation>
    </message>
    <message>
        <source>Inactive users</source>
        <translation>Inaktive Benutzer</translation>
    </message>
    <message>
        <source>Unconfirmed users</source>
        <translation>Unbestätigte Benutzer</translation>
    </message>
    <message>
        <source>Confirmed users</source>
        <translation>Bestätigte Benutzer</translation>
    </message>
    <message>
        <source>Administrators</source>
        <translation>Administratoren</translation>
    </message>
    <message>
        <source>Invitations expiring soon</source>
        <translation>Bald ablaufende Einladungen</translation>
    </message>
    <message>
        <source>Failed invitations</source>
        <translation>Fehlgeschlagene Einladungen</translation>
    </message>
    <message>
        <source>View</source>
        <translation>Ansicht</translation>
    </message>
    <message>
        <source>&amp;View:</source>
        <translation>&amp;Ansicht:</translation>
    </message>
    <message>
        <source>Search name or email (Ctrl+F)</source>
        <translation>Name oder E-Mail suchen (Strg+F)</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Suche</translation>
    </message>
    <message>
        <source>&amp;Add Portal User…</source>
        <translation>Portalbenutzer &amp;hinzufügen…</translation>
    </message>
    <message>
        <source>&amp;Add New User…</source>
        <translation>&amp;Neuer Benutzer…</translation>
    </message>
    <message>
        <source>&amp;Re-invite selected</source>
        <translation>Ausgewählte &amp;einladen</translation>
    </message>
    <message>
        <source>Send new invitations to the selected users who have not accepted theirs</source>
        <translation>Den ausgewählten Benutzern, die ihre Einladung nicht angenommen haben, neue Einladungen senden</translation>
    </message>
    <message>
        <source>1 user</source>
        <translation>1 Benutzer</translation>
    </message>
    <message>
        <source>%1 users</source>
        <translation>%1 Benutzer</translation>
    </message>
    <message>
        <source>1 active user</source>
        <translation>1 aktiver Benutzer</translation>
    </message>
    <message>
        <source>%1 active users</source>
        <translation>%1 aktive Benutzer</translation>
    </message>
    <message>
        <source>1 inactive user</source>
        <translation>1 inaktiver Benutzer</translation>
    </message>
    <message>
        <source>%1 inactive users</source>
        <translation>%1 inaktive Benutzer</translation>
    </message>
    <message>
        <source>1 unconfirmed user</source>
        <translation>1 unbestätigter Benutzer</translation>
    </message>
    <message>
        <source>%1 unconfirmed users</source>
        <translation>%1 unbestätigte Benutzer</translation>
    </message>
    <message>
        <source>1 confirmed user</source>
        <translation>1 bestätigter Benutzer</translation>
    </message>
    <message>
        <source>%1 confirmed users</source>
        <translation>%1 bestätigte Benutzer</translation>
    </message>
    <message>
        <source>1 administrator</source>
        <translation>1 Administrator</translation>
    </message>
    <message>
        <source>%1 administrators</source>
        <translation>%1 Administratoren</translation>
    </message>
    <message>
        <source>1 invitation expiring soon</source>
        <translation>1 bald ablaufende Einladung</translation>
    </message>
    <message>
        <source>%1 invitations expiring soon</source>
        <translation>%1 bald ablaufende Einladungen</translation>
    </message>
    <message>
        <source>1 failed invitation</source>
        <translation>1 fehlgeschlagene Einladung</translation>
    </message>
    <message>
        <source>%1 failed invitations</source>
        <translation>%1 fehlgeschlagene Einladungen</translation>
    </message>
    <message>
        <source>%1 matching</source>
        <translation>%1 Treffer</translation>
    </message>
    <message>
        <source>&amp;Re-invite %1 selected</source>
        <translation>%1 ausgewählte &amp;einladen</translation>
    </message>
    <message>
        <source>Sending a new invitation to %1…</source>
        <translation>Neue Einladung an %1 wird gesendet…</translation>
    </message>
    <message>
        <source>Invitation sent to %1.</source>
        <translation>Einladung an %1 gesendet.</translation>
    </message>
    <message>
        <source>Queued — %1: %2; will retry at %3.</source>
        <translation>In der Warteschlange — %1: %2; neuer Versuch um %3.</translation>
    </message>
    <message>
        <source>The invitation to %1 failed: %2</source>
        <translation>Die Einladung an %1 ist fehlgeschlagen: %2</translation>
    </message>
    <message>
        <source>%1 is active again.</source>
        <translation>%1 ist wieder aktiv.</translation>
    </message>
    <message>
        <source>Copied %1.</source>
        <translation>%1 kopiert.</translation>
    </message>
    <message>
        <source>Copied a new invitation link for %1; earlier links stop working.</source>
        <translation>Neuer Einladungslink für %1 kopiert; frühere Links funktionieren nicht mehr.</translation>
    </message>
    <message>
        <source>Re-invite users</source>
        <translation>Benutzer erneut einladen</translation>
    </message>
    <message>
        <source>None of the selected users can be re-invited now.</source>
        <translation>Keiner der ausgewählten Benutzer kann jetzt erneut eingeladen werden.</translation>
    </message>
    <message>
        <source>1 user will get a new invitation; earlier links stop working.</source>
        <translation>1 Benutzer erhält eine neue Einladung; frühere Links funktionieren dann nicht mehr.</translation>
    </message>
    <message>
        <source>%1 users will get a new invitation; earlier links stop working.</source>
        <translation>%1 Benutzer erhalten eine neue Einladung; frühere Links funktionieren dann nicht mehr.</translation>
    </message>
    <message>
        <source>1 user will be skipped:</source>
        <translation>1 Benutzer wird übersprungen:</translation>
    </message>
    <message>
        <source>%1 users will be skipped:</source>
        <translation>%1 Benutzer werden übersprungen:</translation>
    </message>
    <message>
        <source>%1 deactivated (activate them first)</source>
        <translation>%1 deaktiviert (zuerst aktivieren)</translation>
    </message>
    <message>
        <source>%1 invited moments ago (cooldown)</source>
        <translation>%1 gerade erst eingeladen (Sperrfrist)</translation>
    </message>
    <message>
        <source>%1 already confirmed</source>
        <translation>%1 bereits bestätigt</translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>… und %1 weitere</translation>
    </message>
    <message>
        <source>Re-invite 1 user</source>
        <translation>1 Benutzer erneut einladen</translation>
    </message>
    <message>
        <source>Re-invite %1 users</source>
        <translation>%1 Benutzer erneut einladen</translation>
    </message>
    <message>
        <source>Re-inviting %1 users…</source>
        <translation>%1 Benutzer werden erneut eingeladen…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Re-invited 1 user.</source>
        <translation>1 Benutzer erneut eingeladen.</translation>
    </message>
    <message>
        <source>Re-invited %1 users.</source>
        <translation>%1 Benutzer erneut eingeladen.</translation>
    </message>
    <message>
        <source>Skipped %1 (changed meanwhile).</source>
        <translation>%1 übersprungen (inzwischen geändert).</translation>
    </message>
    <message>
        <source>Cancelled: the rest were not invited.</source>
        <translation>Abgebrochen: Die übrigen wurden nicht eingeladen.</translation>
    </message>
    <message>
        <source>Added %1; sending the invitation…</source>
        <translation>%1 hinzugefügt; die Einladung wird gesendet…</translation>
    </message>
    <message>
        <source>E&amp;xport CSV…</source>
        <translation>CSV e&amp;xportieren…</translation>
    </message>
    <message>
        <source>Save this view — its columns, search and order — as a CSV file for a spreadsheet</source>
        <translation>Diese Ansicht — ihre Spalten, Suche und Reihenfolge — als CSV-Datei für eine Tabellenkalkulation speichern</translation>
    </message>
    <message>
        <source>portal-users.csv</source>
        <translation>portalbenutzer.csv</translation>
    </message>
    <message>
        <source>users.csv</source>
        <translation>benutzer.csv</translation>
    </message>
    <message>
        <source>Export CSV</source>
        <translation>CSV exportieren</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV-Dateien (*.csv)</translation>
    </message>
    <message>
        <source>Sent an automatic reminder to 1 user.</source>
        <translation>Automatische Erinnerung an 1 Benutzer gesendet.</translation>
    </message>
    <message>
        <source>Sent automatic reminders to %1 users.</source>
        <translation>Automatische Erinnerungen an %1 Benutzer gesendet.</translation>
    </message>
    <message>
        <source>Mail server unavailable — %1 (%2 invitations waiting); delivery will retry at %3.</source>
        <translation>Mail-Server nicht verfügbar — %1 (%2 Einladungen warten); neuer Zustellversuch um %3.</translation>
    </message>
    <message>
        <source>Saved %1.</source>
        <translation>%1 gespeichert.</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>Wird exportiert…</translation>
    </message>
    <message>
        <source>Exported 1 row to %1.</source>
        <translation>1 Zeile nach %1 exportiert.</translation>
    </message>
    <message>
        <source>Exported %1 rows to %2.</source>
        <translation>%1 Zeilen nach %2 exportiert.</translation>
    </message>
    <message>
        <source>Asked for a new invitation</source>
        <translation>Neue Einladung erbeten</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Suche…</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <source>1 user asked for a new invitation</source>
        <translation>1 Benutzer hat um eine neue Einladung gebeten</translation>
    </message>
    <message>
        <source>%1 users asked for a new invitation</source>
        <translation>%1 Benutzer haben um eine neue Einladung gebeten</translation>
    </message>
    <message>
        <source>Bounced invitations</source>
        <translation>Unzustellbare Einladungen</translation>
    </message>
    <message>
        <source>Changed the address to %1; sending the invitation…</source>
        <translation>Adresse in %1 geändert; die Einladung wird gesendet…</translation>
    </message>
    <message>
        <source>1 bounced invitation</source>
        <translation>1 unzustellbare Einladung</translation>
    </message>
    <message>
        <source>%1 bounced invitations</source>
        <translation>%1 unzustellbare Einladungen</translation>
    </message>
    <message>
        <source>%1 is deactivated: their invitation links stop working and unsent invitation mail is cancelled.</source>
        <translation>%1 ist deaktiviert: Seine Einladungslinks funktionieren nicht mehr, und nicht gesendete Einladungsmails werden abgebrochen.</translation>
    </message>
    <message>
        <source>%1 is active again: re-invite them for a new invitation link.</source>
        <translation>%1 ist wieder aktiv: Laden Sie den Benutzer erneut ein, damit er einen neuen Einladungslink erhält.</translation>
    </message>
</context>
<context>
    <name>roster::UsersTableModel</name>
    <message>
        <source>Queued</source>
        <translation>In Warteschlange</translation>
    </message>
    <message>
        <source>Sending</source>
        <translation>Wird gesendet</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>Gesendet</translation>
    </message>
    <message>
        <source>Will retry</source>
        <translation>Neuer Versuch folgt</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Abgebrochen</translation>
    </message>
    <message>
        <source>today</source>
        <translation>heute</translation>
    </message>
    <message>
        <source>yesterday</source>
        <translation>gestern</translation>
    </message>
    <message>
        <source>%1 days ago</source>
        <translation>vor %1 Tagen</translation>
    </message>
    <message>
        <source>expires within a day</source>
        <translation>läuft innerhalb eines Tages ab</translation>
    </message>
    <message>
        <source>expires in %1 days</source>
        <translation>läuft in %1 Tagen ab</translation>
    </message>
    <message>
        <source>expired today</source>
        <translation>heute abgelaufen</translation>
    </message>
    <message>
        <source>expired yesterday</source>
        <translation>gestern abgelaufen</translation>
    </message>
    <message>
        <source>expired %1 days ago</source>
        <translation>vor %1 Tagen abgelaufen</translation>
    </message>
    <message>
        <source>Invitation mail: %1 — %2</source>
        <translation>Einladungsmail: %1 — %2</translation>
    </message>
    <message>
        <source>Invited %1 by %2; invitations so far: %3</source>
        <translation>Eingeladen %1 von %2; bisherige Einladungen: %3</translation>
    </message>
    <message>
        <source>Actions for %1 (Menu key or Shift+F10)</source>
        <translation>Aktionen für %1 (Menütaste oder Umschalt+F10)</translation>
    </message>
    <message>
        <source>Actions for %1</source>
        <translation>Aktionen für %1</translation>
    </message>
    <message>
        <source>Actions</source>
        <translation>Aktionen</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Email</source>
        <translation>E-Mail</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Konto</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>Profil</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Invited</source>
        <translation>Eingeladen</translation>
    </message>
    <message>
        <source>Invited at</source>
        <translation>Eingeladen am</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Läuft ab</translation>
    </message>
    <message>
        <source>Invites</source>
        <translation>Einladungen</translation>
    </message>
    <message>
        <source>Last invited by</source>
        <translation>Zuletzt eingeladen von</translation>
    </message>
    <message>
        <source>Mail</source>
        <translation>Mail</translation>
    </message>
    <message>
        <source>asked for a new invitation</source>
        <translation>neue Einladung erbeten</translation>
    </message>
    <message>
        <source>Asked for a new invitation on %1</source>
        <translation>Neue Einladung erbeten am %1</translation>
    </message>
    <message>
        <source>Bounced</source>
        <translation>Unzustellbar</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <source>The last invitation to %1 bounced: %2</source>
        <translation>Die letzte Einladung an %1 kam als unzustellbar zurück: %2</translation>
    </message>
    <message>
        <source>no diagnostic given</source>
        <translation>keine Diagnose angegeben</translation>
    </message>
</context>
<context>
    <name>roster::WelcomeDialog</name>
    <message>
        <source>Welcome to Roster</source>
        <translation>Willkommen bei Roster</translation>
    </message>
    <message>
        <source>&amp;Open a database file…</source>
        <translation>Datenbankdatei &amp;öffnen…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>Open a Roster database</source>
        <translation>Roster-Datenbank öffnen</translation>
    </message>
    <message>
        <source>Roster databases (*.db *.sqlite);;All files (*)</source>
        <translation>Roster-Datenbanken (*.db *.sqlite);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Demo organisation created</source>
        <translation>Demo-Organisation angelegt</translation>
    </message>
    <message>
        <source>Northwind Traders is ready, with 200 users in every state.

Sign in as %1 with the password:

%2

(Copy it now: it is shown only once.)</source>
        <translation>Northwind Traders ist bereit, mit 200 Benutzern in jedem Zustand.

Melden Sie sich als %1 mit diesem Passwort an:

%2

(Kopieren Sie es jetzt: Es wird nur einmal angezeigt.)</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Welcome to Roster&lt;/h3&gt;&lt;p&gt;Roster keeps your CRM&apos;s users in order: who is invited, who never accepted, who may sign in.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Willkommen bei Roster&lt;/h3&gt;&lt;p&gt;Roster hält Ordnung unter den Benutzern Ihres CRM: wer eingeladen ist, wer nie angenommen hat, wer sich anmelden darf.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&amp;Create a new organisation…</source>
        <translation>Neue Organisation &amp;anlegen…</translation>
    </message>
    <message>
        <source>A new database file with you as its first administrator</source>
        <translation>Eine neue Datenbankdatei mit Ihnen als erstem Administrator</translation>
    </message>
    <message>
        <source>An organisation&apos;s existing Roster database (SQLite)</source>
        <translation>Die vorhandene Roster-Datenbank einer Organisation (SQLite)</translation>
    </message>
    <message>
        <source>Connect to a &amp;PostgreSQL server…</source>
        <translation>Mit einem &amp;PostgreSQL-Server verbinden…</translation>
    </message>
    <message>
        <source>An organisation&apos;s database on a PostgreSQL server</source>
        <translation>Die Datenbank einer Organisation auf einem PostgreSQL-Server</translation>
    </message>
    <message>
        <source>Open the &amp;demo organisation</source>
        <translation>&amp;Demo-Organisation öffnen</translation>
    </message>
    <message>
        <source>Northwind Traders, with 200 made-up users in every state</source>
        <translation>Northwind Traders, mit 200 erfundenen Benutzern in jedem Zustand</translation>
    </message>
    <message>
        <source>Close Roster</source>
        <translation>Roster schließen</translation>
    </message>
    <message>
        <source>&amp;Recent databases:</source>
        <translation>&amp;Zuletzt verwendete Datenbanken:</translation>
    </message>
    <message>
        <source>Recent databases</source>
        <translation>Zuletzt verwendete Datenbanken</translation>
    </message>
    <message>
        <source>Press Enter or double-click to open</source>
        <translation>Mit Eingabetaste oder Doppelklick öffnen</translation>
    </message>
    <message>
        <source>&lt;h3&gt;A new organisation&lt;/h3&gt;&lt;p&gt;You become its first administrator; invite everyone else from the Users page.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Eine neue Organisation&lt;/h3&gt;&lt;p&gt;Sie werden ihr erster Administrator; alle anderen laden Sie von der Benutzerseite aus ein.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>you@example.com</source>
        <translation>sie@example.com</translation>
    </message>
    <message>
        <source>&amp;Organisation:</source>
        <translation>&amp;Organisation:</translation>
    </message>
    <message>
        <source>Your &amp;email:</source>
        <translation>Ihre &amp;E-Mail:</translation>
    </message>
    <message>
        <source>Your &amp;name:</source>
        <translation>Ihr &amp;Name:</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>&amp;Passwort:</translation>
    </message>
    <message>
        <source>&amp;Repeat password:</source>
        <translation>Passwort &amp;wiederholen:</translation>
    </message>
    <message>
        <source>Choose &amp;file and create…</source>
        <translation>&amp;Datei wählen und anlegen…</translation>
    </message>
    <message>
        <source>&amp;Back</source>
        <translation>&amp;Zurück</translation>
    </message>
    <message>
        <source>&lt;h3&gt;A PostgreSQL server&lt;/h3&gt;&lt;p&gt;The password is used for this connection only and never stored; next time Roster asks again (or reads ~/.pgpass).&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Ein PostgreSQL-Server&lt;/h3&gt;&lt;p&gt;Das Passwort gilt nur für diese Verbindung und wird nie gespeichert; beim nächsten Mal fragt Roster erneut (oder liest ~/.pgpass).&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&amp;Host:</source>
        <translation>&amp;Host:</translation>
    </message>
    <message>
        <source>P&amp;ort:</source>
        <translation>P&amp;ort:</translation>
    </message>
    <message>
        <source>&amp;Database:</source>
        <translation>&amp;Datenbank:</translation>
    </message>
    <message>
        <source>&amp;User:</source>
        <translation>&amp;Benutzer:</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>Pass&amp;wort:</translation>
    </message>
    <message>
        <source>&amp;Connect</source>
        <translation>&amp;Verbinden</translation>
    </message>
    <message>
        <source>Give the server&apos;s host name and the database&apos;s name.</source>
        <translation>Geben Sie den Hostnamen des Servers und den Namen der Datenbank an.</translation>
    </message>
    <message>
        <source>The two passwords differ: type the same password twice.</source>
        <translation>Die beiden Passwörter unterscheiden sich: Geben Sie zweimal dasselbe Passwort ein.</translation>
    </message>
    <message>
        <source>The organisation name</source>
        <translation>Der Name der Organisation</translation>
    </message>
    <message>
        <source>Give the organisation&apos;s name.</source>
        <translation>Geben Sie den Namen der Organisation an.</translation>
    </message>
    <message>
        <source>Where to keep the new organisation&apos;s database</source>
        <translation>Wo die Datenbank der neuen Organisation liegen soll</translation>
    </message>
    <message>
        <source>%1 already exists: choose a new file name, or open it instead.</source>
        <translation>%1 existiert bereits: Wählen Sie einen neuen Dateinamen oder öffnen Sie die Datei stattdessen.</translation>
    </message>
</context>
<context>
    <name>roster::cli</name>
    <message>
        <source>(see &quot;rosterctl --help&quot;)</source>
        <translation>(siehe „rosterctl --help“)</translation>
    </message>
    <message>
        <source>--%1 needs a value.</source>
        <translation>--%1 braucht einen Wert.</translation>
    </message>
    <message>
        <source>Unknown option --%1.</source>
        <translation>Unbekannte Option --%1.</translation>
    </message>
    <message>
        <source>The organisation name</source>
        <translation>Der Name der Organisation</translation>
    </message>
    <message>
        <source>No password for the administrator: give it on standard input.</source>
        <translation>Kein Passwort für den Administrator: Geben Sie es über die Standardeingabe ein.</translation>
    </message>
    <message>
        <source>Created %1 with the administrator %2.</source>
        <translation>%1 mit dem Administrator %2 angelegt.</translation>
    </message>
    <message>
        <source>Give both --admin-email and --admin-name, or neither.</source>
        <translation>Geben Sie --admin-email und --admin-name beide an oder keines von beiden.</translation>
    </message>
    <message>
        <source>Created %1: %2 users and %3 portal users of Northwind Traders.</source>
        <translation>%1 angelegt: %2 Benutzer und %3 Portalbenutzer von Northwind Traders.</translation>
    </message>
    <message>
        <source>Sign in as %1 with the password %2</source>
        <translation>Melden Sie sich als %1 mit dem Passwort %2 an</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;.</source>
        <translation>Unerwartetes Argument „%1“.</translation>
    </message>
    <message>
        <source>added %1</source>
        <translatorcomment>Stays English: scripts read rosterctl&apos;s per-recipient lines (docs/console.md).</translatorcomment>
        <translation>added %1</translation>
    </message>
    <message>
        <source>The search text</source>
        <translation>Der Suchtext</translation>
    </message>
    <message>
        <source>NAME</source>
        <translation>NAME</translation>
    </message>
    <message>
        <source>EMAIL</source>
        <translation>E-MAIL</translation>
    </message>
    <message>
        <source>ACCOUNT</source>
        <translation>KONTO</translation>
    </message>
    <message>
        <source>PROFILE</source>
        <translation>PROFIL</translation>
    </message>
    <message>
        <source>STATUS</source>
        <translation>STATUS</translation>
    </message>
    <message>
        <source>INVITED</source>
        <translation>EINGELADEN</translation>
    </message>
    <message>
        <source>1 user</source>
        <translation>1 Benutzer</translation>
    </message>
    <message>
        <source>%1 users</source>
        <translation>%1 Benutzer</translation>
    </message>
    <message>
        <source>user reinvite takes EMAIL... or --all-unconfirmed.</source>
        <translation>user reinvite braucht EMAIL... oder --all-unconfirmed.</translation>
    </message>
    <message>
        <source>--expired-only goes with --all-unconfirmed.</source>
        <translation>--expired-only gehört zu --all-unconfirmed.</translation>
    </message>
    <message>
        <source>user edit needs --name, --profile or --account.</source>
        <translation>user edit braucht --name, --profile oder --account.</translation>
    </message>
    <message>
        <source>Portal users have no profile: change their --account instead.</source>
        <translation>Portalbenutzer haben kein Profil: Ändern Sie stattdessen ihr --account.</translation>
    </message>
    <message>
        <source>Only portal users belong to an account: add --portal, or give --profile.</source>
        <translation>Nur Portalbenutzer gehören zu einem Konto: Fügen Sie --portal hinzu oder geben Sie --profile an.</translation>
    </message>
    <message>
        <source>No password for the new account: give it on standard input.</source>
        <translation>Kein Passwort für das neue Konto: Geben Sie es über die Standardeingabe ein.</translation>
    </message>
    <message>
        <source>accepted %1</source>
        <translatorcomment>Stays English: scripts read rosterctl&apos;s per-recipient lines (docs/console.md).</translatorcomment>
        <translation>accepted %1</translation>
    </message>
    <message>
        <source>--transport smtp needs --host, --port and --security.</source>
        <translation>--transport smtp braucht --host, --port und --security.</translation>
    </message>
    <message>
        <source>--%1 goes with --transport smtp.</source>
        <translation>--%1 gehört zu --transport smtp.</translation>
    </message>
    <message>
        <source>Mail settings saved.</source>
        <translation>Mail-Einstellungen gespeichert.</translation>
    </message>
    <message>
        <source>The test message was not sent.</source>
        <translation>Die Testnachricht wurde nicht gesendet.</translation>
    </message>
    <message>
        <source>%1 needs a value.</source>
        <translation>%1 braucht einen Wert.</translation>
    </message>
    <message>
        <source>No command given.</source>
        <translation>Kein Befehl angegeben.</translation>
    </message>
    <message>
        <source>Unknown command &quot;%1&quot;.</source>
        <translation>Unbekannter Befehl „%1“.</translation>
    </message>
    <message>
        <source>ASKED</source>
        <translation>ERBETEN</translation>
    </message>
    <message>
        <source>--%1 goes with --host.</source>
        <translation>--%1 gehört zu --host.</translation>
    </message>
    <message>
        <source>The bounce mailbox needs --host, --port, --security and --user.</source>
        <translation>Das Rückläufer-Postfach braucht --host, --port, --security und --user.</translation>
    </message>
    <message>
        <source>Bounce settings saved.</source>
        <translation>Rückläufer-Einstellungen gespeichert.</translation>
    </message>
    <message>
        <source>Only an Administrator may read the bounce mailbox.</source>
        <translation>Nur ein Administrator darf das Rückläufer-Postfach lesen.</translation>
    </message>
    <message>
        <source>the envelope sender of invitation mail (Roster adds +TAG per message)</source>
        <translation>der Umschlagabsender der Einladungsmails (Roster hängt je Nachricht +TAG an)</translation>
    </message>
    <message>
        <source>the mailbox to read (default INBOX)</source>
        <translation>das zu lesende Postfach (Standard INBOX)</translation>
    </message>
    <message>
        <source>Set the envelope sender of invitation mail (--address), or the bounce mailbox over IMAP (--host, --port, --security and --user; the password from standard input). Administrators only.</source>
        <translation>Den Umschlagabsender der Einladungsmails (--address) oder das Rückläufer-Postfach über IMAP (--host, --port, --security und --user; das Passwort über die Standardeingabe) festlegen. Nur für Administratoren.</translation>
    </message>
    <message>
        <source>the output (default table)</source>
        <translation>die Ausgabe (Standard table)</translation>
    </message>
    <message>
        <source>%1 needs at least one %2.</source>
        <translation>%1 braucht mindestens ein Argument %2.</translation>
    </message>
    <message>
        <source>%1 takes one %2.</source>
        <translation>%1 nimmt ein Argument %2.</translation>
    </message>
    <message>
        <source>%1 takes %2 and %3.</source>
        <translation>%1 nimmt %2 und %3.</translation>
    </message>
    <message>
        <source>%1 needs a subcommand: %2.</source>
        <translation>%1 braucht einen Unterbefehl: %2.</translation>
    </message>
    <message>
        <source>Unknown %1 subcommand &quot;%2&quot;.</source>
        <translation>Unbekannter %1-Unterbefehl „%2“.</translation>
    </message>
    <message>
        <source>Exit codes: 0 done; 1 some recipients deferred or failed; 2 usage; 3 refused by a rule or a
permission; 4 not found; 5 database error; 6 mail configuration or connection error.
</source>
        <translation>Exit-Codes: 0 erledigt; 1 einige Empfänger zurückgestellt oder fehlgeschlagen; 2 Aufruffehler;
3 von einer Regel oder Berechtigung abgelehnt; 4 nicht gefunden; 5 Datenbankfehler;
6 Fehler der Mail-Konfiguration oder -Verbindung.
</translation>
    </message>
    <message>
        <source>Manage a Roster organisation&apos;s users from scripts. ROSTER_DB and ROSTER_AS are the defaults of
--db and --as; acting commands read the password of --as from ROSTER_PASSWORD, else from the
first line of standard input.
</source>
        <translation>Die Benutzer einer Roster-Organisation aus Skripten verwalten. ROSTER_DB und ROSTER_AS sind die
Standardwerte von --db und --as; Befehle, die als --as handeln, lesen dessen Passwort aus
ROSTER_PASSWORD, sonst aus der ersten Zeile der Standardeingabe.
</translation>
    </message>
    <message>
        <source>Commands:</source>
        <translation>Befehle:</translation>
    </message>
    <message>
        <source>Commands that queue mail deliver it before they exit (unless --queue-only) and print, per
recipient: sent, deferred (with the reply) or failed.
</source>
        <translation>Befehle, die Mails in die Warteschlange stellen, stellen sie vor dem Beenden zu (außer mit
--queue-only) und geben je Empfänger sent, deferred (mit der Antwort) oder failed aus.
</translation>
    </message>
    <message>
        <source>Options:</source>
        <translation>Optionen:</translation>
    </message>
    <message>
        <source>(%1 to %2)</source>
        <translation>(%1 bis %2)</translation>
    </message>
    <message>
        <source>(required)</source>
        <translation>(erforderlich)</translation>
    </message>
    <message>
        <source>&quot;rosterctl %1 SUBCOMMAND --help&quot; tells more about one of them.</source>
        <translation>„rosterctl %1 SUBCOMMAND --help“ erklärt einen davon genauer.</translation>
    </message>
    <message>
        <source>Invite the named users again, or with --all-unconfirmed every unconfirmed user (confirmed, deactivated and cooling-down users are refused; in bulk, skipped and listed).</source>
        <translation>Die genannten Benutzer erneut einladen, oder mit --all-unconfirmed jeden unbestätigten Benutzer (bestätigte, deaktivierte und noch in der Sperrfrist befindliche Benutzer werden abgelehnt; in der Massenaktion übersprungen und aufgelistet).</translation>
    </message>
    <message>
        <source>every unconfirmed user, instead of EMAIL...</source>
        <translation>jeden unbestätigten Benutzer, statt EMAIL...</translation>
    </message>
    <message>
        <source>with --all-unconfirmed: only those whose invitation expired</source>
        <translation>mit --all-unconfirmed: nur diejenigen, deren Einladung abgelaufen ist</translation>
    </message>
    <message>
        <source>A user&apos;s invitations: when each was sent and by whom, its state and its mail&apos;s delivery.</source>
        <translation>Die Einladungen eines Benutzers: wann und von wem jede gesendet wurde, ihr Zustand und die Zustellung ihrer Mail.</translation>
    </message>
    <message>
        <source>Accept an invitation as the accept page does; the user&apos;s new password is read from standard input.</source>
        <translation>Eine Einladung annehmen, wie es die Annahmeseite tut; das neue Passwort des Benutzers wird aus der Standardeingabe gelesen.</translation>
    </message>
    <message>
        <source>the token parameter of the invitation link</source>
        <translation>der Parameter token des Einladungslinks</translation>
    </message>
    <message>
        <source>the %1 server</source>
        <translation>der %1-Server</translation>
    </message>
    <message>
        <source>its port</source>
        <translation>sein Port</translation>
    </message>
    <message>
        <source>TLS from the start (tls), after STARTTLS, or none</source>
        <translation>TLS von Anfang an (tls), nach STARTTLS oder keine</translation>
    </message>
    <message>
        <source>the user to sign in as; the password is read from standard input</source>
        <translation>der Benutzer für die Anmeldung; das Passwort wird aus der Standardeingabe gelesen</translation>
    </message>
    <message>
        <source>verify the server&apos;s certificate against PEM instead of the system&apos;s CAs</source>
        <translation>das Zertifikat des Servers gegen PEM statt gegen die CAs des Systems prüfen</translation>
    </message>
    <message>
        <source>allow the password without TLS</source>
        <translation>das Passwort ohne TLS erlauben</translation>
    </message>
    <message>
        <source>write .eml files into --dir, or send through an SMTP server</source>
        <translation>.eml-Dateien in --dir schreiben oder über einen SMTP-Server senden</translation>
    </message>
    <message>
        <source>with --transport file: the folder for the messages</source>
        <translation>mit --transport file: der Ordner für die Nachrichten</translation>
    </message>
    <message>
        <source>the sender: an address, or &quot;NAME &lt;ADDR&gt;&quot;</source>
        <translation>der Absender: eine Adresse oder „NAME &lt;ADDR&gt;“</translation>
    </message>
    <message>
        <source>the sender&apos;s name</source>
        <translation>der Name des Absenders</translation>
    </message>
    <message>
        <source>the organisation&apos;s name</source>
        <translation>der Name der Organisation</translation>
    </message>
    <message>
        <source>the accept page of CRM users (the link is URL?token=TOKEN)</source>
        <translation>die Annahmeseite der CRM-Benutzer (der Link ist URL?token=TOKEN)</translation>
    </message>
    <message>
        <source>the accept page of portal users</source>
        <translation>die Annahmeseite der Portalbenutzer</translation>
    </message>
    <message>
        <source>the time before the same user may be re-invited</source>
        <translation>die Zeit, bis derselbe Benutzer erneut eingeladen werden darf</translation>
    </message>
    <message>
        <source>remind unconfirmed users N days before their invitation expires</source>
        <translation>unbestätigte Benutzer N Tage vor Ablauf ihrer Einladung erinnern</translation>
    </message>
    <message>
        <source>off</source>
        <translation>aus</translation>
    </message>
    <message>
        <source>Change the mail settings: the transport (--transport file --dir DIR, or --transport smtp --host H --port P --security S, the SMTP password from standard input with --user), the sender and the invitation&apos;s links and timing. Administrators only.</source>
        <translation>Die Mail-Einstellungen ändern: den Transport (--transport file --dir DIR oder --transport smtp --host H --port P --security S, das SMTP-Passwort mit --user über die Standardeingabe), den Absender sowie die Links und Fristen der Einladung. Nur für Administratoren.</translation>
    </message>
    <message>
        <source>Print the mail settings (never the SMTP password).</source>
        <translation>Die Mail-Einstellungen ausgeben (nie das SMTP-Passwort).</translation>
    </message>
    <message>
        <source>Send a test message through the configured transport now.</source>
        <translation>Jetzt eine Testnachricht über den eingerichteten Transport senden.</translation>
    </message>
    <message>
        <source>the recipient</source>
        <translation>der Empfänger</translation>
    </message>
    <message>
        <source>--%1 takes a positive number.</source>
        <translation>--%1 nimmt eine positive Zahl.</translation>
    </message>
    <message>
        <source>--%1 takes a number from %2 to %3.</source>
        <translation>--%1 nimmt eine Zahl von %2 bis %3.</translation>
    </message>
    <message>
        <source>Unknown %1 &quot;%2&quot;: use %3.</source>
        <translation>Unbekannter %1-Wert „%2“: Verwenden Sie %3.</translation>
    </message>
    <message>
        <source>%1 or %2</source>
        <translation>%1 oder %2</translation>
    </message>
    <message>
        <source>--%1 takes no value.</source>
        <translation>--%1 nimmt keinen Wert.</translation>
    </message>
    <message>
        <source>%1 needs %2.</source>
        <translation>%1 braucht %2.</translation>
    </message>
    <message>
        <source>%1 needs %2 and %3.</source>
        <translation>%1 braucht %2 und %3.</translation>
    </message>
    <message>
        <source>List queued and sent mail, newest first.</source>
        <translation>Wartende und gesendete Mails auflisten, neueste zuerst.</translation>
    </message>
    <message>
        <source>only the messages in that state</source>
        <translation>nur die Nachrichten in diesem Zustand</translation>
    </message>
    <message>
        <source>at most N messages (default 1000)</source>
        <translation>höchstens N Nachrichten (Standard 1000)</translation>
    </message>
    <message>
        <source>Send the automatic reminders that are due, then the mail that is due: queued messages and deferred ones whose retry time has come. Run it from a timer.</source>
        <translation>Die fälligen automatischen Erinnerungen senden, dann die fälligen Mails: wartende Nachrichten und zurückgestellte, deren Zeit für einen neuen Versuch gekommen ist. Gedacht für den Aufruf durch einen Timer.</translation>
    </message>
    <message>
        <source>A new database and its first Administrator, whose password is read from standard input.</source>
        <translation>Eine neue Datenbank und ihr erster Administrator, dessen Passwort aus der Standardeingabe gelesen wird.</translation>
    </message>
    <message>
        <source>the administrator&apos;s email address</source>
        <translation>die E-Mail-Adresse des Administrators</translation>
    </message>
    <message>
        <source>the administrator&apos;s name</source>
        <translation>der Name des Administrators</translation>
    </message>
    <message>
        <source>A new database of demo data: about 10% of the users unconfirmed (half of them expired), about 5% deactivated, a few administrators. With --admin-email the administrator&apos;s password is read from standard input; without it, demo prints the one it made.</source>
        <translation>Eine neue Datenbank mit Demodaten: etwa 10 % der Benutzer unbestätigt (die Hälfte davon abgelaufen), etwa 5 % deaktiviert, einige Administratoren. Mit --admin-email wird das Passwort des Administrators aus der Standardeingabe gelesen; ohne diese Option gibt demo das erzeugte Passwort aus.</translation>
    </message>
    <message>
        <source>how many CRM users (default 200)</source>
        <translation>wie viele CRM-Benutzer (Standard 200)</translation>
    </message>
    <message>
        <source>how many portal users (default: a tenth of --users)</source>
        <translation>wie viele Portalbenutzer (Standard: ein Zehntel von --users)</translation>
    </message>
    <message>
        <source>the seed of the random data, to make the same organisation again</source>
        <translation>der Startwert der Zufallsdaten, um dieselbe Organisation erneut zu erzeugen</translation>
    </message>
    <message>
        <source>the administrator&apos;s email address (with --admin-name)</source>
        <translation>die E-Mail-Adresse des Administrators (mit --admin-name)</translation>
    </message>
    <message>
        <source>the administrator&apos;s name (with --admin-email)</source>
        <translation>der Name des Administrators (mit --admin-email)</translation>
    </message>
    <message>
        <source>a user of the Customer Portal instead of the CRM</source>
        <translation>ein Benutzer des Kundenportals statt des CRM</translation>
    </message>
    <message>
        <source>queue the mail without delivering it now</source>
        <translation>die Mail in die Warteschlange stellen, ohne sie jetzt zuzustellen</translation>
    </message>
    <message>
        <source>Add a user, unconfirmed, and send the first invitation.</source>
        <translation>Einen Benutzer hinzufügen, unbestätigt, und die erste Einladung senden.</translation>
    </message>
    <message>
        <source>the user&apos;s email address</source>
        <translation>die E-Mail-Adresse des Benutzers</translation>
    </message>
    <message>
        <source>the user&apos;s name</source>
        <translation>der Name des Benutzers</translation>
    </message>
    <message>
        <source>the CRM user&apos;s profile (default Standard)</source>
        <translation>das Profil des CRM-Benutzers (Standard: das Profil Standard)</translation>
    </message>
    <message>
        <source>the customer account of a portal user</source>
        <translation>das Kundenkonto eines Portalbenutzers</translation>
    </message>
    <message>
        <source>List users, a page at a time from the database; --format json prints one JSON document, csv a header line and a line per user.</source>
        <translation>Benutzer auflisten, seitenweise aus der Datenbank; --format json gibt ein JSON-Dokument aus, csv eine Kopfzeile und eine Zeile je Benutzer.</translation>
    </message>
    <message>
        <source>which users (default all)</source>
        <translation>welche Benutzer (Standard all)</translation>
    </message>
    <message>
        <source>only users whose name or email holds TEXT</source>
        <translation>nur Benutzer, deren Name oder E-Mail-Adresse TEXT enthält</translation>
    </message>
    <message>
        <source>at most N users</source>
        <translation>höchstens N Benutzer</translation>
    </message>
    <message>
        <source>Activate users again (an unconfirmed one then needs a re-invite).</source>
        <translation>Benutzer wieder aktivieren (ein unbestätigter braucht danach eine erneute Einladung).</translation>
    </message>
    <message>
        <source>Deactivate users: their open invitations are revoked and their unsent invitation mail cancelled.</source>
        <translation>Benutzer deaktivieren: Ihre offenen Einladungen werden widerrufen und ihre nicht gesendeten Einladungsmails abgebrochen.</translation>
    </message>
    <message>
        <source>Change a user&apos;s name, profile or account. The email stays: a new address is a new user and a new invitation.</source>
        <translation>Name, Profil oder Konto eines Benutzers ändern. Die E-Mail-Adresse bleibt: Eine neue Adresse ist ein neuer Benutzer und eine neue Einladung.</translation>
    </message>
    <message>
        <source>the new name</source>
        <translation>der neue Name</translation>
    </message>
    <message>
        <source>the CRM user&apos;s new profile</source>
        <translation>das neue Profil des CRM-Benutzers</translation>
    </message>
    <message>
        <source>the portal user&apos;s new account</source>
        <translation>das neue Konto des Portalbenutzers</translation>
    </message>
    <message>
        <source>Give an unconfirmed user a new address: their open invitations are revoked and a new one is sent to NEW.</source>
        <translation>Einem unbestätigten Benutzer eine neue Adresse geben: Seine offenen Einladungen werden widerrufen und eine neue wird an NEW gesendet.</translation>
    </message>
    <message>
        <source>Read the new mail of the bounce mailbox, in as many sessions as it takes, and print one line per delivery report; nothing is ever deleted.</source>
        <translation>Liest die neue Post des Rückläufer-Postfachs, in so vielen Sitzungen wie nötig, und gibt eine Zeile je Zustellbericht aus; gelöscht wird nie etwas.</translation>
    </message>
    <message>
        <source>Sending beside the re-invite stopped (the rest is sent now): %1</source>
        <translation>Das Senden neben der erneuten Einladung wurde abgebrochen (der Rest wird jetzt gesendet): %1</translation>
    </message>
</context>
<context>
    <name>roster::cli::AdminSession</name>
    <message>
        <source>No database given: pass --db PATH or set ROSTER_DB.</source>
        <translation>Keine Datenbank angegeben: Übergeben Sie --db PFAD oder setzen Sie ROSTER_DB.</translation>
    </message>
    <message>
        <source>This command acts on users: pass --as EMAIL (or set ROSTER_AS) to sign in as an administrator.</source>
        <translation>Dieser Befehl wirkt auf Benutzer: Übergeben Sie --as EMAIL (oder setzen Sie ROSTER_AS), um sich als Administrator anzumelden.</translation>
    </message>
    <message>
        <source>No password for %1: set ROSTER_PASSWORD or give it on standard input.</source>
        <translation>Kein Passwort für %1: Setzen Sie ROSTER_PASSWORD oder geben Sie es über die Standardeingabe ein.</translation>
    </message>
</context>
<context>
    <name>roster::cli::Delivery</name>
    <message>
        <source>The mail stays queued.</source>
        <translation>Die Mail bleibt in der Warteschlange.</translation>
    </message>
    <message>
        <source>Another sender took back the message to %1 while this one was sending it, so its result was not saved: it may arrive twice.</source>
        <translation>Ein anderer Sendevorgang hat die Nachricht an %1 übernommen, während dieser sie sendete; ihr Ergebnis wurde daher nicht gespeichert: Sie kommt möglicherweise zweimal an.</translation>
    </message>
    <message>
        <source>retry at %1</source>
        <translation>neuer Versuch um %1</translation>
    </message>
</context>
<context>
    <name>roster::web::HttpServer</name>
    <message>
        <source>Cannot listen on %1: %2.</source>
        <translation>Auf %1 kann nicht gelauscht werden: %2.</translation>
    </message>
    <message>
        <source>Cannot listen on %1:%2: the address is in use or not this machine&apos;s, or the TLS certificate and key do not fit together.</source>
        <translation>Auf %1:%2 kann nicht gelauscht werden: Die Adresse ist belegt oder gehört nicht zu diesem Rechner, oder TLS-Zertifikat und Schlüssel passen nicht zusammen.</translation>
    </message>
</context>
</TS>
