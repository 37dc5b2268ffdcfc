<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>AcceptSite</name>
    <message>
        <source>The form is too large</source>
        <translation>Le formulaire est trop volumineux</translation>
    </message>
    <message>
        <source>What your browser sent is larger than this page accepts.</source>
        <translation>Ce que votre navigateur a envoyé dépasse ce que cette page accepte.</translation>
    </message>
    <message>
        <source>Go back, and send the form again without adding anything to it.</source>
        <translation>Revenez en arrière et renvoyez le formulaire sans rien y ajouter.</translation>
    </message>
    <message>
        <source>The invitation service is unavailable</source>
        <translation>Le service d’invitation est indisponible</translation>
    </message>
    <message>
        <source>It cannot reach its database right now.</source>
        <translation>Il ne peut pas joindre sa base de données pour le moment.</translation>
    </message>
    <message>
        <source>Nothing was changed. Try again in a few minutes.</source>
        <translation>Rien n’a été modifié. Réessayez dans quelques minutes.</translation>
    </message>
    <message>
        <source>Page not found</source>
        <translation>Page introuvable</translation>
    </message>
    <message>
        <source>There is no page at this address.</source>
        <translation>Il n’y a pas de page à cette adresse.</translation>
    </message>
    <message>
        <source>Open the link in your invitation mail.</source>
        <translation>Ouvrez le lien de votre e-mail d’invitation.</translation>
    </message>
    <message>
        <source>This page cannot do that</source>
        <translation>Cette page ne peut pas faire cela</translation>
    </message>
    <message>
        <source>This page only opens invitation links and takes their form.</source>
        <translation>Cette page ouvre seulement les liens d’invitation et reçoit leur formulaire.</translation>
    </message>
    <message>
        <source>Too many attempts</source>
        <translation>Trop de tentatives</translation>
    </message>
    <message>
        <source>Too many attempts from your network failed in the last minute.</source>
        <translation>Trop de tentatives depuis votre réseau ont échoué au cours de la dernière minute.</translation>
    </message>
    <message>
        <source>Wait a minute, then open the link in your invitation mail again.</source>
        <translation>Attendez une minute, puis rouvrez le lien de votre e-mail d’invitation.</translation>
    </message>
    <message>
        <source>This form cannot be used</source>
        <translation>Ce formulaire ne peut pas être utilisé</translation>
    </message>
    <message>
        <source>The form was open for too long.</source>
        <translation>Le formulaire est resté ouvert trop longtemps.</translation>
    </message>
    <message>
        <source>The form could not be checked: it did not come from this page in this browser, or your browser does not keep this page&apos;s cookie.</source>
        <translation>Le formulaire n’a pas pu être vérifié : il ne vient pas de cette page dans ce navigateur, ou votre navigateur ne conserve pas le cookie de cette page.</translation>
    </message>
    <message>
        <source>Nothing was changed. Open the link in your invitation mail again, and fill in the form once more.</source>
        <translation>Rien n’a été modifié. Rouvrez le lien de votre e-mail d’invitation et remplissez à nouveau le formulaire.</translation>
    </message>
    <message>
        <source>The two passwords differ: type the same password twice.</source>
        <translation>Les deux mots de passe diffèrent : tapez deux fois le même mot de passe.</translation>
    </message>
    <message>
        <source>Your account is ready</source>
        <translation>Votre compte est prêt</translation>
    </message>
    <message>
        <source>You can now sign in as %1 with the password you have just chosen.</source>
        <translation>Vous pouvez maintenant vous connecter en tant que %1 avec le mot de passe que vous venez de choisir.</translation>
    </message>
    <message>
        <source>Sign in to %1&apos;s Customer Portal</source>
        <translation>Se connecter au portail client de %1</translation>
    </message>
    <message>
        <source>Sign in to %1&apos;s CRM</source>
        <translation>Se connecter au CRM de %1</translation>
    </message>
    <message>
        <source>Your request could not be recorded</source>
        <translation>Votre demande n’a pas pu être enregistrée</translation>
    </message>
    <message>
        <source>The invitation service cannot record it right now.</source>
        <translation>Le service d’invitation ne peut pas l’enregistrer pour le moment.</translation>
    </message>
    <message>
        <source>Try again in a few minutes, or ask your administrator directly.</source>
        <translation>Réessayez dans quelques minutes, ou adressez-vous directement à votre administrateur.</translation>
    </message>
    <message>
        <source>Your administrator has been told</source>
        <translation>Votre administrateur a été prévenu</translation>
    </message>
    <message>
        <source>You have already asked</source>
        <translation>Vous avez déjà demandé</translation>
    </message>
    <message>
        <source>%1&apos;s administrators can see that you asked for a new invitation.</source>
        <translation>Les administrateurs de %1 voient que vous avez demandé une nouvelle invitation.</translation>
    </message>
    <message>
        <source>You asked for a new invitation with this link before; %1&apos;s administrators can see it.</source>
        <translation>Vous avez déjà demandé une nouvelle invitation avec ce lien ; les administrateurs de %1 le voient.</translation>
    </message>
    <message>
        <source>The new invitation will come by mail, with a new link. You can close this page.</source>
        <translation>La nouvelle invitation arrivera par e-mail, avec un nouveau lien. Vous pouvez fermer cette page.</translation>
    </message>
    <message>
        <source>Choose your password</source>
        <translation>Choisissez votre mot de passe</translation>
    </message>
    <message>
        <source>Hello %1, you are invited to %2&apos;s Customer Portal. Choose a password to finish setting up your account.</source>
        <translation>Bonjour %1, vous êtes invité(e) sur le portail client de %2. Choisissez un mot de passe pour terminer la création de votre compte.</translation>
    </message>
    <message>
        <source>Hello %1, you are invited to %2&apos;s CRM. Choose a password to finish setting up your account.</source>
        <translation>Bonjour %1, vous êtes invité(e) sur le CRM de %2. Choisissez un mot de passe pour terminer la création de votre compte.</translation>
    </message>
    <message>
        <source>Email address</source>
        <translation>Adresse e-mail</translation>
    </message>
    <message>
        <source>New password</source>
        <translation>Nouveau mot de passe</translation>
    </message>
    <message>
        <source>At least 8 characters.</source>
        <translation>Au moins 8 caractères.</translation>
    </message>
    <message>
        <source>New password again</source>
        <translation>Confirmez le nouveau mot de passe</translation>
    </message>
    <message>
        <source>Set password</source>
        <translation>Définir le mot de passe</translation>
    </message>
    <message>
        <source>This link works until %1.</source>
        <translation>Ce lien est valable jusqu’au %1.</translation>
    </message>
    <message>
        <source>The password was not set</source>
        <translation>Le mot de passe n’a pas été défini</translation>
    </message>
    <message>
        <source>This link does not work</source>
        <translation>Ce lien ne fonctionne pas</translation>
    </message>
    <message>
        <source>This invitation link is not valid. Perhaps it was not copied whole.</source>
        <translation>Ce lien d’invitation n’est pas valide. Il n’a peut-être pas été copié en entier.</translation>
    </message>
    <message>
        <source>Open the link from your invitation mail again, or ask your administrator for a new invitation.</source>
        <translation>Rouvrez le lien de votre e-mail d’invitation, ou demandez une nouvelle invitation à votre administrateur.</translation>
    </message>
    <message>
        <source>This account is deactivated</source>
        <translation>Ce compte est désactivé</translation>
    </message>
    <message>
        <source>Your administrator has deactivated this account, so its invitation cannot be accepted.</source>
        <translation>Votre administrateur a désactivé ce compte : son invitation ne peut donc pas être acceptée.</translation>
    </message>
    <message>
        <source>Ask your administrator to activate the account again.</source>
        <translation>Demandez à votre administrateur de réactiver le compte.</translation>
    </message>
    <message>
        <source>This invitation was already used</source>
        <translation>Cette invitation a déjà été utilisée</translation>
    </message>
    <message>
        <source>The account %1 was already set up with this invitation.</source>
        <translation>Le compte %1 a déjà été créé avec cette invitation.</translation>
    </message>
    <message>
        <source>Sign in with your email address and your password. If you did not set up this account, tell your administrator.</source>
        <translation>Connectez-vous avec votre adresse e-mail et votre mot de passe. Si vous n’avez pas créé ce compte, prévenez votre administrateur.</translation>
    </message>
    <message>
        <source>This invitation has expired</source>
        <translation>Cette invitation a expiré</translation>
    </message>
    <message>
        <source>This invitation was replaced</source>
        <translation>Cette invitation a été remplacée</translation>
    </message>
    <message>
        <source>The invitation expired on %1.</source>
        <translation>L’invitation a expiré le %1.</translation>
    </message>
    <message>
        <source>A newer invitation was sent to you after this one, so this link no longer works.</source>
        <translation>Une invitation plus récente vous a été envoyée après celle-ci : ce lien ne fonctionne donc plus.</translation>
    </message>
    <message>
        <source>Ask for a new invitation, and the administrators of %1 will see your request.</source>
        <translation>Demandez une nouvelle invitation : les administrateurs de %1 verront votre demande.</translation>
    </message>
    <message>
        <source>Use the link in the latest invitation mail. If you cannot find it, ask for a new invitation.</source>
        <translation>Utilisez le lien du dernier e-mail d’invitation. Si vous ne le trouvez pas, demandez une nouvelle invitation.</translation>
    </message>
    <message>
        <source>Ask for a new invitation</source>
        <translation>Demander une nouvelle invitation</translation>
    </message>
    <message>
        <source>Something went wrong</source>
        <translation>Une erreur s’est produite</translation>
    </message>
    <message>
        <source>Sign in where you work</source>
        <translation>Connectez-vous là où vous travaillez</translation>
    </message>
    <message>
        <source>If you have just chosen your password, your account is ready. This address only opens the links in invitation mails.</source>
        <translation>Si vous venez de choisir votre mot de passe, votre compte est prêt. Cette adresse n’ouvre que les liens des e-mails d’invitation.</translation>
    </message>
    <message>
        <source>Sign in from %1&apos;s CRM or Customer Portal, at the address you usually open it from.</source>
        <translation>Connectez-vous au CRM ou au portail client de %1, à l’adresse depuis laquelle vous l’ouvrez d’habitude.</translation>
    </message>
</context>
<context>
    <name>BounceRules</name>
    <message>
        <source>The last invitation to this address bounced.</source>
        <translation>La dernière invitation envoyée à cette adresse n’a pas pu être distribuée.</translation>
    </message>
    <message>
        <source>The last invitation to this address bounced: %1</source>
        <translation>La dernière invitation envoyée à cette adresse n’a pas pu être distribuée : %1</translation>
    </message>
</context>
<context>
    <name>EmailAddress</name>
    <message>
        <source>The email address is empty: enter an address such as name@example.com.</source>
        <translation>L’adresse e-mail est vide : saisissez une adresse comme nom@example.com.</translation>
    </message>
    <message>
        <source>The email address contains a line break: enter it on one line.</source>
        <translation>L’adresse e-mail contient un saut de ligne : saisissez-la sur une seule ligne.</translation>
    </message>
    <message>
        <source>The email address contains an invisible control character (%1): retype it instead of pasting it.</source>
        <translation>L’adresse e-mail contient un caractère de contrôle invisible (%1) : retapez-la au lieu de la coller.</translation>
    </message>
    <message>
        <source>The email address contains a space: remove it.</source>
        <translation>L’adresse e-mail contient une espace : supprimez-la.</translation>
    </message>
    <message>
        <source>The email address contains “%1”, which is not a plain ASCII character (it may only look like one): only plain ASCII addresses are accepted, so retype it on an English keyboard layout.</source>
        <translation>L’adresse e-mail contient « %1 », qui n’est pas un caractère ASCII simple (il en a peut-être seulement l’air) : seules les adresses en ASCII simple sont acceptées, retapez-la donc avec une disposition de clavier anglaise.</translation>
    </message>
    <message>
        <source>The email address contains a quotation mark: quoted addresses are not accepted, enter the plain address.</source>
        <translation>L’adresse e-mail contient un guillemet : les adresses entre guillemets ne sont pas acceptées, saisissez l’adresse seule.</translation>
    </message>
    <message>
        <source>Enter only the address itself, without angle brackets or a name.</source>
        <translation>Saisissez uniquement l’adresse, sans chevrons ni nom.</translation>
    </message>
    <message>
        <source>The email address contains a parenthesis: remove the comment.</source>
        <translation>L’adresse e-mail contient une parenthèse : supprimez le commentaire.</translation>
    </message>
    <message>
        <source>The email address has no “@”: enter it as name@example.com.</source>
        <translation>L’adresse e-mail ne contient pas de « @ » : saisissez-la sous la forme nom@example.com.</translation>
    </message>
    <message>
        <source>The email address has more than one “@”: keep only one.</source>
        <translation>L’adresse e-mail contient plusieurs « @ » : n’en gardez qu’un.</translation>
    </message>
    <message>
        <source>The email address has nothing before the “@”: enter it as name@example.com.</source>
        <translation>Il n’y a rien avant le « @ » : saisissez l’adresse sous la forme nom@example.com.</translation>
    </message>
    <message>
        <source>The email address has no domain after the “@”: enter it as name@example.com.</source>
        <translation>Il manque le domaine après le « @ » : saisissez l’adresse sous la forme nom@example.com.</translation>
    </message>
    <message>
        <source>The part before the “@” is %1 characters long; at most %2 are allowed.</source>
        <translation>La partie avant le « @ » compte %1 caractères ; %2 au maximum sont autorisés.</translation>
    </message>
    <message>
        <source>The domain is %1 characters long; at most %2 are allowed.</source>
        <translation>Le domaine compte %1 caractères ; %2 au maximum sont autorisés.</translation>
    </message>
    <message>
        <source>The email address is %1 characters long; at most %2 are allowed.</source>
        <translation>L’adresse e-mail compte %1 caractères ; %2 au maximum sont autorisés.</translation>
    </message>
    <message>
        <source>The part before the “@” may not start or end with a dot.</source>
        <translation>La partie avant le « @ » ne doit ni commencer ni finir par un point.</translation>
    </message>
    <message>
        <source>The part before the “@” contains two dots in a row: remove one.</source>
        <translation>La partie avant le « @ » contient deux points consécutifs : supprimez-en un.</translation>
    </message>
    <message>
        <source>The part before the “@” contains “%1”, which is not allowed there.</source>
        <translation>La partie avant le « @ » contient « %1 », qui n’y est pas autorisé.</translation>
    </message>
    <message>
        <source>Enter a domain name after the “@”, not an IP address.</source>
        <translation>Saisissez un nom de domaine après le « @ », pas une adresse IP.</translation>
    </message>
    <message>
        <source>The domain may not start or end with a dot.</source>
        <translation>Le domaine ne doit ni commencer ni finir par un point.</translation>
    </message>
    <message>
        <source>The domain contains two dots in a row: remove one.</source>
        <translation>Le domaine contient deux points consécutifs : supprimez-en un.</translation>
    </message>
    <message>
        <source>The domain has no dot: enter a full domain such as example.com.</source>
        <translation>Le domaine ne contient pas de point : saisissez un domaine complet comme example.com.</translation>
    </message>
    <message>
        <source>A part of the domain is %1 characters long; at most %2 are allowed between dots.</source>
        <translation>Une partie du domaine compte %1 caractères ; %2 au maximum sont autorisés entre deux points.</translation>
    </message>
    <message>
        <source>The domain contains “%1”: only letters, digits, hyphens and dots are allowed there.</source>
        <translation>Le domaine contient « %1 » : seuls les lettres, chiffres, traits d’union et points y sont autorisés.</translation>
    </message>
    <message>
        <source>A part of the domain starts or ends with a hyphen: check the domain.</source>
        <translation>Une partie du domaine commence ou finit par un trait d’union : vérifiez le domaine.</translation>
    </message>
    <message>
        <source>The sender contains a line break: enter it on one line.</source>
        <translation>L’expéditeur contient un saut de ligne : saisissez-le sur une seule ligne.</translation>
    </message>
    <message>
        <source>The sender is empty: enter an address such as noreply@example.com, or Name &lt;noreply@example.com&gt;.</source>
        <translation>L’expéditeur est vide : saisissez une adresse comme noreply@example.com, ou Nom &lt;noreply@example.com&gt;.</translation>
    </message>
    <message>
        <source>Put the address in angle brackets after the name: Name &lt;noreply@example.com&gt;.</source>
        <translation>Mettez l’adresse entre chevrons après le nom : Nom &lt;noreply@example.com&gt;.</translation>
    </message>
    <message>
        <source>The sender has a “&gt;” without a “&lt;”: write it as Name &lt;noreply@example.com&gt;.</source>
        <translation>L’expéditeur contient un « &gt; » sans « &lt; » : écrivez-le sous la forme Nom &lt;noreply@example.com&gt;.</translation>
    </message>
    <message>
        <source>The sender has no “&gt;” after the address: write it as Name &lt;noreply@example.com&gt;.</source>
        <translation>Il manque le « &gt; » après l’adresse de l’expéditeur : écrivez-le sous la forme Nom &lt;noreply@example.com&gt;.</translation>
    </message>
    <message>
        <source>The sender holds more than one address in angle brackets: give one, as Name &lt;noreply@example.com&gt;.</source>
        <translation>L’expéditeur contient plusieurs adresses entre chevrons : n’en indiquez qu’une, sous la forme Nom &lt;noreply@example.com&gt;.</translation>
    </message>
    <message>
        <source>The sender has text after the “&gt;”: remove it, or move it into the name before the “&lt;”.</source>
        <translation>L’expéditeur contient du texte après le « &gt; » : supprimez-le, ou déplacez-le dans le nom avant le « &lt; ».</translation>
    </message>
    <message>
        <source>The address between “&lt;” and “&gt;” is empty: enter it as Name &lt;noreply@example.com&gt;.</source>
        <translation>L’adresse entre « &lt; » et « &gt; » est vide : saisissez-la sous la forme Nom &lt;noreply@example.com&gt;.</translation>
    </message>
    <message>
        <source>The sender&apos;s name has an unmatched quotation mark: quote the whole name, as &quot;Acme, Inc.&quot; &lt;noreply@example.com&gt;.</source>
        <translation>Le nom de l’expéditeur contient un guillemet sans son pendant : mettez tout le nom entre guillemets, sous la forme &quot;Acme, Inc.&quot; &lt;noreply@example.com&gt;.</translation>
    </message>
</context>
<context>
    <name>FileTransport</name>
    <message>
        <source>Cannot write to %1: %2</source>
        <translation>Impossible d’écrire dans %1 : %2</translation>
    </message>
    <message>
        <source>No mail folder is configured: run “rosterctl mail configure --transport file --dir DIR”.</source>
        <translation>Aucun dossier de courrier n’est configuré : lancez « rosterctl mail configure --transport file --dir DIR ».</translation>
    </message>
    <message>
        <source>Cannot write to %1: it is a file, not a folder</source>
        <translation>Impossible d’écrire dans %1 : c’est un fichier, pas un dossier</translation>
    </message>
    <message>
        <source>Cannot create the folder %1: check that its parent exists and is writable</source>
        <translation>Impossible de créer le dossier %1 : vérifiez que son dossier parent existe et est accessible en écriture</translation>
    </message>
    <message>
        <source>The message is empty.</source>
        <translation>Le message est vide.</translation>
    </message>
    <message>
        <source>Written to %1</source>
        <translation>Écrit dans %1</translation>
    </message>
    <message>
        <source>The delivery was stopped.</source>
        <translation>La distribution a été interrompue.</translation>
    </message>
</context>
<context>
    <name>FormSecret</name>
    <message>
        <source>The database holds a damaged web.form_secret setting: delete that row and start roster-web again.</source>
        <translation>La base de données contient un réglage web.form_secret endommagé : supprimez cette ligne et redémarrez roster-web.</translation>
    </message>
</context>
<context>
    <name>InvitationMail</name>
    <message>
        <source>your organisation</source>
        <translation>votre organisation</translation>
    </message>
    <message>
        <source>An administrator</source>
        <translation>Un administrateur</translation>
    </message>
    <message>
        <source>The mail template %1 is missing from this build: %2</source>
        <translation>Le modèle de message %1 manque dans cette version : %2</translation>
    </message>
    <message>
        <source>%1 at %2 (%3)</source>
        <translation>%1 à %2 (%3)</translation>
    </message>
    <message>
        <source>The invitation has no accept link: set the accept URL in the organisation settings.</source>
        <translation>L’invitation n’a pas de lien d’acceptation : définissez l’URL d’acceptation dans les paramètres de l’organisation.</translation>
    </message>
    <message>
        <source>The accept link is not a valid http(s) address: check the accept URL in the organisation settings.</source>
        <translation>Le lien d’acceptation n’est pas une adresse http(s) valide : vérifiez l’URL d’acceptation dans les paramètres de l’organisation.</translation>
    </message>
    <message>
        <source>The mail template uses an unknown placeholder {{%1}}.</source>
        <translation>Le modèle de message utilise un espace réservé inconnu {{%1}}.</translation>
    </message>
    <message>
        <source>You&apos;re invited to %1&apos;s customer portal</source>
        <translation>Vous êtes invité(e) sur le portail client de %1</translation>
    </message>
    <message>
        <source>%1 invited you to %2&apos;s customer portal</source>
        <translation>%1 vous invite sur le portail client de %2</translation>
    </message>
    <message>
        <source>You&apos;re invited to %1 on Roster</source>
        <translation>Vous êtes invité(e) à rejoindre %1 sur Roster</translation>
    </message>
    <message>
        <source>%1 invited you to %2 on Roster</source>
        <translation>%1 vous invite à rejoindre %2 sur Roster</translation>
    </message>
    <message>
        <source>Organisation name</source>
        <translation>Nom de l’organisation</translation>
    </message>
    <message>
        <source>Inviter name</source>
        <translation>Nom de la personne qui invite</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message>
        <source>Recipient name: %1</source>
        <translation>Nom du destinataire : %1</translation>
    </message>
    <message>
        <source>The invitation has no expiry date.</source>
        <translation>L’invitation n’a pas de date d’expiration.</translation>
    </message>
    <message>
        <source>Hello,</source>
        <translation>Bonjour,</translation>
    </message>
    <message>
        <source>Hello %1,</source>
        <translation>Bonjour %1,</translation>
    </message>
</context>
<context>
    <name>MailSetup</name>
    <message>
        <source>The SMTP server is not configured: run &quot;rosterctl mail configure --transport smtp …&quot; or open Email settings.</source>
        <translation>Le serveur SMTP n’est pas configuré : lancez « rosterctl mail configure --transport smtp … » ou ouvrez les paramètres de messagerie.</translation>
    </message>
    <message>
        <source>The SMTP user %1 has no password saved for the organisation: give it with &quot;rosterctl mail configure --transport smtp … --user %1&quot; (on standard input) or in Email settings.</source>
        <translation>Aucun mot de passe n’est enregistré pour l’utilisateur SMTP %1 de l’organisation : fournissez-le avec « rosterctl mail configure --transport smtp … --user %1 » (sur l’entrée standard) ou dans les paramètres de messagerie.</translation>
    </message>
    <message>
        <source>The SMTP password cannot be opened with this computer&apos;s key file %1: install the organisation&apos;s key file there (chmod 600), or give the password again.</source>
        <translation>Le mot de passe SMTP ne peut pas être ouvert avec le fichier de clé %1 de cet ordinateur : installez-y le fichier de clé de l’organisation (chmod 600), ou saisissez de nouveau le mot de passe.</translation>
    </message>
    <message>
        <source>The SMTP user %1 has an empty password saved: give the real one with &quot;rosterctl mail configure --transport smtp … --user %1&quot; or in Email settings.</source>
        <translation>Un mot de passe vide est enregistré pour l’utilisateur SMTP %1 : fournissez le vrai avec « rosterctl mail configure --transport smtp … --user %1 » ou dans les paramètres de messagerie.</translation>
    </message>
</context>
<context>
    <name>MimeMessage</name>
    <message>
        <source>The Message-ID is not valid: it must look like random@example.com, without angle brackets or spaces.</source>
        <translation>Le Message-ID n’est pas valide : il doit ressembler à aleatoire@example.com, sans chevrons ni espaces.</translation>
    </message>
    <message>
        <source>It contains a line break, which would start a new mail header: enter it on one line.</source>
        <translation>Il contient un saut de ligne, qui commencerait un nouvel en-tête : saisissez-le sur une seule ligne.</translation>
    </message>
    <message>
        <source>It contains an invisible control character (U+%1): retype it instead of pasting it.</source>
        <translation>Il contient un caractère de contrôle invisible (U+%1) : retapez-le au lieu de le coller.</translation>
    </message>
    <message>
        <source>The message has no sender address: set the sender in the mail settings.</source>
        <translation>Le message n’a pas d’adresse d’expéditeur : définissez l’expéditeur dans les paramètres de messagerie.</translation>
    </message>
    <message>
        <source>Sender address: %1</source>
        <translation>Adresse de l’expéditeur : %1</translation>
    </message>
    <message>
        <source>Sender name: %1</source>
        <translation>Nom de l’expéditeur : %1</translation>
    </message>
    <message>
        <source>The message has no recipient.</source>
        <translation>Le message n’a pas de destinataire.</translation>
    </message>
    <message>
        <source>Recipient address: %1</source>
        <translation>Adresse du destinataire : %1</translation>
    </message>
    <message>
        <source>Recipient name: %1</source>
        <translation>Nom du destinataire : %1</translation>
    </message>
    <message>
        <source>Subject: %1</source>
        <translation>Objet : %1</translation>
    </message>
    <message>
        <source>A mail header name is not valid: use letters, digits and hyphens.</source>
        <translation>Un nom d’en-tête n’est pas valide : utilisez des lettres, des chiffres et des traits d’union.</translation>
    </message>
    <message>
        <source>The header %1 is written by the message itself and cannot be added.</source>
        <translation>L’en-tête %1 est écrit par le message lui-même et ne peut pas être ajouté.</translation>
    </message>
    <message>
        <source>Header %1: %2</source>
        <translation>En-tête %1 : %2</translation>
    </message>
</context>
<context>
    <name>PasswordHasher</name>
    <message>
        <source>The password is too short: use at least 8 characters.</source>
        <translation>Le mot de passe est trop court : utilisez au moins 8 caractères.</translation>
    </message>
    <message>
        <source>The password is too long: use at most 1,024 characters.</source>
        <translation>Le mot de passe est trop long : utilisez au plus 1 024 caractères.</translation>
    </message>
    <message>
        <source>The password holds a control character (such as a line break).</source>
        <translation>Le mot de passe contient un caractère de contrôle (comme un saut de ligne).</translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>a response line longer than %1 octets</source>
        <translation>une ligne de réponse de plus de %1 octets</translation>
    </message>
    <message>
        <source>a NUL octet in a response line</source>
        <translation>un octet NUL dans une ligne de réponse</translation>
    </message>
    <message>
        <source>a literal of %1 octets (the limit is %2)</source>
        <translation>un littéral de %1 octets (la limite est de %2)</translation>
    </message>
    <message>
        <source>too many literals in one response</source>
        <translation>trop de littéraux dans une même réponse</translation>
    </message>
    <message>
        <source>an empty response line</source>
        <translation>une ligne de réponse vide</translation>
    </message>
</context>
<context>
    <name>RosterWeb</name>
    <message>
        <source>Cannot read %1: %2.</source>
        <translation>Impossible de lire %1 : %2.</translation>
    </message>
    <message>
        <source>%1 is not a PEM file.</source>
        <translation>%1 n’est pas un fichier PEM.</translation>
    </message>
    <message>
        <source>Serves the links of Roster&apos;s invitation mails: the invitee chooses a password and the invitation is accepted.</source>
        <translation>Répond aux liens des courriels d’invitation de Roster : la personne invitée choisit un mot de passe et l’invitation est acceptée.</translation>
    </message>
    <message>
        <source>The organisation&apos;s database: an SQLite file or a postgresql:// URL.</source>
        <translation>La base de données de l’organisation : un fichier SQLite ou une URL postgresql://.</translation>
    </message>
    <message>
        <source>PATH|URL</source>
        <translation>CHEMIN|URL</translation>
    </message>
    <message>
        <source>Address and port to listen on (port 0: any).</source>
        <translation>Adresse et port d’écoute (port 0 : n’importe lequel).</translation>
    </message>
    <message>
        <source>HOST:PORT</source>
        <translation>HÔTE:PORT</translation>
    </message>
    <message>
        <source>Speak TLS with this certificate chain.</source>
        <translation>Parler TLS avec cette chaîne de certificats.</translation>
    </message>
    <message>
        <source>PEM</source>
        <translation>PEM</translation>
    </message>
    <message>
        <source>The private key of --tls-cert.</source>
        <translation>La clé privée de --tls-cert.</translation>
    </message>
    <message>
        <source>A reverse proxy whose X-Forwarded-For names the client (repeatable).</source>
        <translation>Un proxy inverse dont l’en-tête X-Forwarded-For désigne le client (répétable).</translation>
    </message>
    <message>
        <source>ADDRESS</source>
        <translation>ADRESSE</translation>
    </message>
    <message>
        <source>Worker threads (default: one per core, at least 2).</source>
        <translation>Fils de travail (par défaut : un par cœur, au moins 2).</translation>
    </message>
    <message>
        <source>N</source>
        <translation>N</translation>
    </message>
    <message>
        <source>Open connections one address may hold (default 128).</source>
        <translation>Connexions ouvertes qu’une adresse peut garder (128 par défaut).</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;.</source>
        <translation>Argument inattendu « %1 ».</translation>
    </message>
    <message>
        <source>--listen HOST:PORT is required, e.g. --listen 127.0.0.1:8080.</source>
        <translation>--listen HÔTE:PORT est obligatoire, par exemple --listen 127.0.0.1:8080.</translation>
    </message>
    <message>
        <source>--listen wants HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), not &quot;%1&quot;.</source>
        <translation>--listen attend HÔTE:PORT (par exemple 127.0.0.1:8080 ou [::1]:8080), pas « %1 ».</translation>
    </message>
    <message>
        <source>--tls-cert and --tls-key go together.</source>
        <translation>--tls-cert et --tls-key vont ensemble.</translation>
    </message>
    <message>
        <source>--threads wants a number from 1 to 256.</source>
        <translation>--threads attend un nombre de 1 à 256.</translation>
    </message>
    <message>
        <source>--max-connections-per-ip wants a positive number.</source>
        <translation>--max-connections-per-ip attend un nombre positif.</translation>
    </message>
    <message>
        <source>--trusted-proxy wants an IP address, not &quot;%1&quot;.</source>
        <translation>--trusted-proxy attend une adresse IP, pas « %1 ».</translation>
    </message>
    <message>
        <source>No database: give --db PATH|URL.</source>
        <translation>Aucune base de données : indiquez --db CHEMIN|URL.</translation>
    </message>
</context>
<context>
    <name>UserStatus</name>
    <message>
        <source>Inactive</source>
        <translation>Inactif</translation>
    </message>
    <message>
        <source>Confirmed</source>
        <translation>Confirmé</translation>
    </message>
    <message>
        <source>Unconfirmed · expires in 1 day</source>
        <translation>Non confirmé · expire dans 1 jour</translation>
    </message>
    <message>
        <source>Unconfirmed · expires in %1 days</source>
        <translation>Non confirmé · expire dans %1 jours</translation>
    </message>
    <message>
        <source>Unconfirmed · never invited</source>
        <translation>Non confirmé · jamais invité</translation>
    </message>
    <message>
        <source>Unconfirmed · expired today</source>
        <translation>Non confirmé · expiré aujourd’hui</translation>
    </message>
    <message>
        <source>Unconfirmed · expired 1 day ago</source>
        <translation>Non confirmé · expiré depuis 1 jour</translation>
    </message>
    <message>
        <source>Unconfirmed · expired %1 days ago</source>
        <translation>Non confirmé · expiré depuis %1 jours</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Roster: the console for your CRM&apos;s users.</source>
        <translation>Roster : la console des utilisateurs de votre CRM.</translation>
    </message>
    <message>
        <source>The database: a file or a postgresql:// URL (default: ROSTER_DB, else the last one used).</source>
        <translation>La base de données : un fichier ou une URL postgresql:// (par défaut : ROSTER_DB, sinon la dernière utilisée).</translation>
    </message>
    <message>
        <source>Cannot open the database</source>
        <translation>Impossible d’ouvrir la base de données</translation>
    </message>
    <message>
        <source>PostgreSQL password</source>
        <translation>Mot de passe PostgreSQL</translation>
    </message>
    <message>
        <source>Password for %1:</source>
        <translation>Mot de passe pour %1 :</translation>
    </message>
    <message>
        <source>Since you last signed in</source>
        <translation>Depuis votre dernière connexion</translation>
    </message>
</context>
<context>
    <name>roster</name>
    <message>
        <source>%1 is deactivated: activate the user first.</source>
        <translation>%1 est désactivé : activez d’abord l’utilisateur.</translation>
    </message>
    <message>
        <source>%1 has already confirmed the invitation.</source>
        <translation>%1 a déjà confirmé l’invitation.</translation>
    </message>
    <message>
        <source>%1 was invited moments ago: you can re-invite in %2 min.</source>
        <translation>%1 vient d’être invité : vous pourrez le réinviter dans %2 min.</translation>
    </message>
    <message>
        <source>The name is empty: give the user&apos;s full name.</source>
        <translation>Le nom est vide : saisissez le nom complet de l’utilisateur.</translation>
    </message>
    <message>
        <source>The name is %1 characters long: use at most 200.</source>
        <translation>Le nom compte %1 caractères : 200 au maximum.</translation>
    </message>
    <message>
        <source>The name holds a control character (such as a line break): remove it.</source>
        <translation>Le nom contient un caractère de contrôle (comme un saut de ligne) : supprimez-le.</translation>
    </message>
    <message>
        <source>%1 is %2 characters long: use at most %3.</source>
        <translation>%1 compte %2 caractères : %3 au maximum.</translation>
    </message>
    <message>
        <source>%1 holds a control character (such as a line break): remove it.</source>
        <translation>%1 contient un caractère de contrôle (comme un saut de ligne) : supprimez-le.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a usable accept URL: give an http(s) address such as https://crm.example.com/accept.</source>
        <translation>« %1 » n’est pas une URL d’acceptation utilisable : indiquez une adresse http(s) comme https://crm.example.com/accept.</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Impossible d’écrire %1 : %2</translation>
    </message>
    <message>
        <source>The export stopped at row %1: the database could not be read. Nothing was written.</source>
        <translation>L’export s’est arrêté à la ligne %1 : la base de données n’a pas pu être lue. Rien n’a été écrit.</translation>
    </message>
    <message>
        <source>Export cancelled: nothing was written.</source>
        <translation>Export annulé : rien n’a été écrit.</translation>
    </message>
    <message>
        <source>Re-invite</source>
        <translation>Réinviter</translation>
    </message>
    <message>
        <source>Send %1 a new invitation; earlier links stop working.</source>
        <translation>Envoyer une nouvelle invitation à %1 ; les liens précédents cessent de fonctionner.</translation>
    </message>
    <message>
        <source>You cannot deactivate yourself.</source>
        <translation>Vous ne pouvez pas vous désactiver vous-même.</translation>
    </message>
    <message>
        <source>Deactivate</source>
        <translation>Désactiver</translation>
    </message>
    <message>
        <source>Activate</source>
        <translation>Activer</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Modifier…</translation>
    </message>
    <message>
        <source>Copy email</source>
        <translation>Copier l’e-mail</translation>
    </message>
    <message>
        <source>Copy invite link</source>
        <translation>Copier le lien d’invitation</translation>
    </message>
    <message>
        <source>Make a new invitation and copy its link instead of mailing it.</source>
        <translation>Créer une nouvelle invitation et copier son lien au lieu de l’envoyer par e-mail.</translation>
    </message>
    <message>
        <source>Only an Administrator can edit an administrator.</source>
        <translation>Seul un administrateur peut modifier un administrateur.</translation>
    </message>
    <message>
        <source>Invitation history…</source>
        <translation>Historique des invitations…</translation>
    </message>
    <message>
        <source>Every invitation %1 was sent, with its mail&apos;s state.</source>
        <translation>Chaque invitation envoyée à %1, avec l’état de son e-mail.</translation>
    </message>
    <message>
        <source>This invitation link is not valid: check that it was copied whole, or ask your administrator for a new invitation.</source>
        <translation>Ce lien d’invitation n’est pas valide : vérifiez qu’il a été copié en entier, ou demandez une nouvelle invitation à votre administrateur.</translation>
    </message>
    <message>
        <source>This invitation was already accepted: sign in instead.</source>
        <translation>Cette invitation a déjà été acceptée : connectez-vous plutôt.</translation>
    </message>
    <message>
        <source>This account is deactivated: ask your administrator.</source>
        <translation>Ce compte est désactivé : adressez-vous à votre administrateur.</translation>
    </message>
    <message>
        <source>This invitation is still valid: use it to set your password.</source>
        <translation>Cette invitation est encore valable : utilisez-la pour choisir votre mot de passe.</translation>
    </message>
    <message>
        <source>invitation %1 (superseded)</source>
        <translation>invitation %1 (remplacée)</translation>
    </message>
    <message>
        <source>invitation %1 (expired)</source>
        <translation>invitation %1 (expirée)</translation>
    </message>
    <message>
        <source>%1 has confirmed the invitation: a confirmed user&apos;s address is not changed by a new invitation.</source>
        <translation>%1 a confirmé l’invitation : une nouvelle invitation ne change pas l’adresse d’un utilisateur confirmé.</translation>
    </message>
    <message>
        <source>%1 is already this user&apos;s address.</source>
        <translation>%1 est déjà l’adresse de cet utilisateur.</translation>
    </message>
    <message>
        <source>Cannot read the key file %1: %2</source>
        <translation>Impossible de lire le fichier de clé %1 : %2</translation>
    </message>
    <message>
        <source>The key file %1 is not a regular file: install the organisation&apos;s key file there (mode 0600).</source>
        <translation>Le fichier de clé %1 n’est pas un fichier ordinaire : installez-y le fichier de clé de l’organisation (mode 0600).</translation>
    </message>
    <message>
        <source>The key file %1 can be read by other users (mode %2): make it private with &quot;chmod 600 %1&quot;.</source>
        <translation>Le fichier de clé %1 est lisible par d’autres utilisateurs (mode %2) : rendez-le privé avec « chmod 600 %1 ».</translation>
    </message>
    <message>
        <source>The key file %1 is damaged.</source>
        <translation>Le fichier de clé %1 est endommagé.</translation>
    </message>
    <message>
        <source>Cannot write the key file %1: %2</source>
        <translation>Impossible d’écrire le fichier de clé %1 : %2</translation>
    </message>
    <message>
        <source>Only an Administrator can activate or deactivate an administrator.</source>
        <translation>Seul un administrateur peut activer ou désactiver un administrateur.</translation>
    </message>
    <message>
        <source>A mistyped address bounces again. Change the address, or re-invite anyway?</source>
        <translation>Une adresse mal saisie sera de nouveau rejetée. Changer l’adresse, ou réinviter quand même ?</translation>
    </message>
    <message>
        <source>&amp;Change email…</source>
        <translation>&amp;Changer l’e-mail…</translation>
    </message>
    <message>
        <source>&amp;Re-invite anyway</source>
        <translation>&amp;Réinviter quand même</translation>
    </message>
    <message>
        <source>The last invitation bounced for 1 of the %1 selected users.</source>
        <translation>La dernière invitation n’a pas pu être distribuée pour 1 des %1 utilisateurs sélectionnés.</translation>
    </message>
    <message>
        <source>The last invitation bounced for %1 of the %2 selected users.</source>
        <translation>La dernière invitation n’a pas pu être distribuée pour %1 des %2 utilisateurs sélectionnés.</translation>
    </message>
    <message>
        <source>Skip them (fix their addresses with Change email and re-invite), or re-invite them too?</source>
        <translation>Les ignorer (corrigez leurs adresses avec « Changer l’e-mail et réinviter »), ou les réinviter aussi ?</translation>
    </message>
    <message>
        <source>&amp;Skip them</source>
        <translation>Les &amp;ignorer</translation>
    </message>
    <message>
        <source>&amp;Re-invite them too</source>
        <translation>Les &amp;réinviter aussi</translation>
    </message>
    <message>
        <source>Change email and re-invite…</source>
        <translation>Changer l’e-mail et réinviter…</translation>
    </message>
    <message>
        <source>Give %1 a new address and send the invitation there; earlier links stop working.</source>
        <translation>Donner une nouvelle adresse à %1 et y envoyer l’invitation ; les liens précédents cessent de fonctionner.</translation>
    </message>
    <message>
        <source>%1 was written by a newer Roster (schema %2; this program knows up to %3). Use a newer Roster; the database was not changed.</source>
        <translation>%1 a été écrit par une version plus récente de Roster (schéma %2 ; ce programme connaît jusqu’au %3). Utilisez un Roster plus récent ; la base de données n’a pas été modifiée.</translation>
    </message>
</context>
<context>
    <name>roster::AddUserDialog</name>
    <message>
        <source>Add Portal User</source>
        <translation>Ajouter un utilisateur du portail</translation>
    </message>
    <message>
        <source>Add New User</source>
        <translation>Ajouter un utilisateur</translation>
    </message>
    <message>
        <source>The user gets an invitation mail at once; its link works for 7 days.</source>
        <translation>L’utilisateur reçoit immédiatement un e-mail d’invitation ; son lien est valable 7 jours.</translation>
    </message>
    <message>
        <source>Add and &amp;invite</source>
        <translation>Ajouter et &amp;inviter</translation>
    </message>
</context>
<context>
    <name>roster::AuditPage</name>
    <message>
        <source>Audit log</source>
        <translation>Journal d’audit</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Actualiser</translation>
    </message>
    <message>
        <source>The latest %1 changes, newest first.</source>
        <translation>Les %1 dernières modifications, les plus récentes d’abord.</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Quand</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>Qui</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Action</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Utilisateur</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>Détail</translation>
    </message>
</context>
<context>
    <name>roster::AuthService</name>
    <message>
        <source>Your account no longer exists.</source>
        <translation>Votre compte n’existe plus.</translation>
    </message>
    <message>
        <source>Your account is not active.</source>
        <translation>Votre compte n’est pas actif.</translation>
    </message>
    <message>
        <source>Your profile (%1) may not manage users: ask an administrator.</source>
        <translation>Votre profil (%1) ne permet pas de gérer les utilisateurs : adressez-vous à un administrateur.</translation>
    </message>
    <message>
        <source>Wrong email or password.</source>
        <translation>E-mail ou mot de passe incorrect.</translation>
    </message>
    <message>
        <source>%1 wrong passwords; locked for 15 minutes</source>
        <translation>%1 mots de passe erronés ; bloqué pendant 15 minutes</translation>
    </message>
    <message>
        <source>wrong password</source>
        <translation>mot de passe erroné</translation>
    </message>
    <message>
        <source>%1 already has users: sign in as an administrator to add more.</source>
        <translation>%1 a déjà des utilisateurs : connectez-vous en tant qu’administrateur pour en ajouter.</translation>
    </message>
    <message>
        <source>The new administrator was not stored.</source>
        <translation>Le nouvel administrateur n’a pas été enregistré.</translation>
    </message>
    <message>
        <source>first administrator</source>
        <translation>premier administrateur</translation>
    </message>
    <message>
        <source>Your account was locked for 15 minutes after %1 wrong passwords, until %2. If that was not you, change your password and tell your administrator.</source>
        <translation>Votre compte a été bloqué pendant 15 minutes après %1 mots de passe erronés, jusqu’à %2. Si ce n’était pas vous, changez votre mot de passe et prévenez votre administrateur.</translation>
    </message>
</context>
<context>
    <name>roster::BounceService</name>
    <message>
        <source>(no diagnostic)</source>
        <translation>(aucun diagnostic)</translation>
    </message>
    <message>
        <source>The bounce mailbox is not configured: run &quot;rosterctl bounces configure --host …&quot;.</source>
        <translation>La boîte des rebonds n’est pas configurée : lancez « rosterctl bounces configure --host … ».</translation>
    </message>
    <message>
        <source>The IMAP password was saved on another computer (its key file is missing here): enter it again.</source>
        <translation>Le mot de passe IMAP a été enregistré sur un autre ordinateur (son fichier de clé manque ici) : saisissez-le de nouveau.</translation>
    </message>
</context>
<context>
    <name>roster::ChangeEmailDialog</name>
    <message>
        <source>Change email of %1</source>
        <translation>Changer l’e-mail de %1</translation>
    </message>
    <message>
        <source>%1 has not confirmed the invitation to %2. Give the right address: the open invitations are revoked and a new one is sent there.</source>
        <translation>%1 n’a pas confirmé l’invitation envoyée à %2. Indiquez la bonne adresse : les invitations ouvertes sont révoquées et une nouvelle y est envoyée.</translation>
    </message>
    <message>
        <source>Current address:</source>
        <translation>Adresse actuelle :</translation>
    </message>
    <message>
        <source>&amp;New address:</source>
        <translation>&amp;Nouvelle adresse :</translation>
    </message>
    <message>
        <source>&amp;Change and re-invite</source>
        <translation>&amp;Changer et réinviter</translation>
    </message>
</context>
<context>
    <name>roster::ChangeNotifier</name>
    <message>
        <source>Cannot listen for changes on %1: %2</source>
        <translation>Impossible de suivre les modifications de %1 : %2</translation>
    </message>
</context>
<context>
    <name>roster::Database</name>
    <message>
        <source>No database given: pass --db PATH or set ROSTER_DB.</source>
        <translation>Aucune base de données indiquée : passez --db CHEMIN ou définissez ROSTER_DB.</translation>
    </message>
    <message>
        <source>The PostgreSQL driver for Qt is not installed (Debian package libqt6sql6-psql).</source>
        <translation>Le pilote PostgreSQL de Qt n’est pas installé (paquet Debian libqt6sql6-psql).</translation>
    </message>
    <message>
        <source>Unknown database URL scheme in &quot;%1&quot;: use a file path or a postgresql:// URL.</source>
        <translation>Schéma d’URL de base de données inconnu dans « %1 » : utilisez un chemin de fichier ou une URL postgresql://.</translation>
    </message>
    <message>
        <source>%1 is a folder, not a database file.</source>
        <translation>%1 est un dossier, pas un fichier de base de données.</translation>
    </message>
    <message>
        <source>The folder %1 does not exist: create it first or choose another path.</source>
        <translation>Le dossier %1 n’existe pas : créez-le d’abord ou choisissez un autre chemin.</translation>
    </message>
    <message>
        <source>No database at %1: create one with &quot;rosterctl init&quot;.</source>
        <translation>Aucune base de données à %1 : créez-en une avec « rosterctl init ».</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>Impossible de lire %1 : %2</translation>
    </message>
    <message>
        <source>%1 is not a Roster database (it is not an SQLite file).</source>
        <translation>%1 n’est pas une base de données Roster (ce n’est pas un fichier SQLite).</translation>
    </message>
    <message>
        <source>%1 is empty: create a database with &quot;rosterctl init&quot;.</source>
        <translation>%1 est vide : créez une base de données avec « rosterctl init ».</translation>
    </message>
    <message>
        <source>Cannot open %1: %2</source>
        <translation>Impossible d’ouvrir %1 : %2</translation>
    </message>
    <message>
        <source>Cannot read the database URL: write it as postgresql://user:password@host:port/dbname.</source>
        <translation>Impossible de lire l’URL de la base de données : écrivez-la sous la forme postgresql://utilisateur:motdepasse@hôte:port/base.</translation>
    </message>
    <message>
        <source>The database URL&apos;s %1 may not contain spaces, quotes or semicolons.</source>
        <translation>L’élément %1 de l’URL de la base de données ne doit contenir ni espaces, ni guillemets, ni points-virgules.</translation>
    </message>
    <message>
        <source>Cannot connect to %1: %2</source>
        <translation>Impossible de se connecter à %1 : %2</translation>
    </message>
    <message>
        <source>Lost the connection to %1 and cannot reconnect: %2</source>
        <translation>Connexion à %1 perdue, impossible de la rétablir : %2</translation>
    </message>
    <message>
        <source>The database %1 is locked by another program; try again when it has finished.</source>
        <translation>La base de données %1 est verrouillée par un autre programme ; réessayez quand il aura terminé.</translation>
    </message>
    <message>
        <source>The database %1 is read-only: check the file&apos;s permissions.</source>
        <translation>La base de données %1 est en lecture seule : vérifiez les droits du fichier.</translation>
    </message>
    <message>
        <source>%1 is damaged or not a Roster database.</source>
        <translation>%1 est endommagé ou n’est pas une base de données Roster.</translation>
    </message>
    <message>
        <source>The disk holding %1 is full.</source>
        <translation>Le disque qui contient %1 est plein.</translation>
    </message>
    <message>
        <source>Lost the connection to %1 (%2): this change was not saved; Roster reconnects on the next action.</source>
        <translation>Connexion à %1 perdue (%2) : cette modification n’a pas été enregistrée ; Roster se reconnecte à la prochaine action.</translation>
    </message>
    <message>
        <source>Someone else just made the same change: reload and try again.</source>
        <translation>Quelqu’un vient de faire la même modification : rechargez et réessayez.</translation>
    </message>
    <message>
        <source>Another administrator changed the same users at the same moment: try again.</source>
        <translation>Un autre administrateur a modifié les mêmes utilisateurs au même moment : réessayez.</translation>
    </message>
    <message>
        <source>The database user may not do this on %1: %2</source>
        <translation>L’utilisateur de la base de données n’a pas le droit de faire cela sur %1 : %2</translation>
    </message>
    <message>
        <source>Database error: %1</source>
        <translation>Erreur de base de données : %1</translation>
    </message>
    <message>
        <source>%1 holds another program&apos;s tables, not a Roster database.</source>
        <translation>%1 contient les tables d’un autre programme, pas une base de données Roster.</translation>
    </message>
    <message>
        <source>Cannot upgrade %1 to schema %2: %3</source>
        <translation>Impossible de mettre %1 à niveau vers le schéma %2 : %3</translation>
    </message>
    <message>
        <source>The query was cancelled.</source>
        <translation>La requête a été annulée.</translation>
    </message>
</context>
<context>
    <name>roster::EditUserDialog</name>
    <message>
        <source>Edit %1</source>
        <translation>Modifier %1</translation>
    </message>
    <message>
        <source>The email stays as it is: changing an address is a new invitation (add the user with the new address).</source>
        <translation>L’e-mail reste inchangé : changer d’adresse revient à une nouvelle invitation (ajoutez l’utilisateur avec la nouvelle adresse).</translation>
    </message>
</context>
<context>
    <name>roster::EmailSettingsPage</name>
    <message>
        <source>Email settings</source>
        <translation>Paramètres de messagerie</translation>
    </message>
    <message>
        <source> min</source>
        <translation> min</translation>
    </message>
    <message>
        <source>How long after an invitation the same user cannot be re-invited</source>
        <translation>Délai après une invitation pendant lequel le même utilisateur ne peut pas être réinvité</translation>
    </message>
    <message>
        <source>Invitations</source>
        <translation>Invitations</translation>
    </message>
    <message>
        <source>&amp;Organisation:</source>
        <translation>&amp;Organisation :</translation>
    </message>
    <message>
        <source>Sender &amp;name:</source>
        <translation>&amp;Nom de l’expéditeur :</translation>
    </message>
    <message>
        <source>Sender &amp;address:</source>
        <translation>&amp;Adresse de l’expéditeur :</translation>
    </message>
    <message>
        <source>A&amp;ccept URL:</source>
        <translation>&amp;URL d’acceptation :</translation>
    </message>
    <message>
        <source>&amp;Portal accept URL:</source>
        <translation>URL d’acceptation du &amp;portail :</translation>
    </message>
    <message>
        <source>Re-invite &amp;cooldown:</source>
        <translation>&amp;Délai avant réinvitation :</translation>
    </message>
    <message>
        <source>Files in a folder (no server)</source>
        <translation>Fichiers dans un dossier (pas de serveur)</translation>
    </message>
    <message>
        <source>SMTP server</source>
        <translation>Serveur SMTP</translation>
    </message>
    <message>
        <source>&amp;Folder:</source>
        <translation>&amp;Dossier :</translation>
    </message>
    <message>
        <source>STARTTLS</source>
        <translation>STARTTLS</translation>
    </message>
    <message>
        <source>TLS (implicit)</source>
        <translation>TLS (implicite)</translation>
    </message>
    <message>
        <source>None (not encrypted)</source>
        <translation>Aucune (non chiffré)</translation>
    </message>
    <message>
        <source>system certificates</source>
        <translation>certificats du système</translation>
    </message>
    <message>
        <source>Allow the password over an unencrypted connection</source>
        <translation>Autoriser le mot de passe sur une connexion non chiffrée</translation>
    </message>
    <message>
        <source>&amp;Server:</source>
        <translation>&amp;Serveur :</translation>
    </message>
    <message>
        <source>P&amp;ort:</source>
        <translation>P&amp;ort :</translation>
    </message>
    <message>
        <source>S&amp;ecurity:</source>
        <translation>S&amp;écurité :</translation>
    </message>
    <message>
        <source>&amp;User:</source>
        <translation>&amp;Utilisateur :</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>Mot de &amp;passe :</translation>
    </message>
    <message>
        <source>CA &amp;file:</source>
        <translation>&amp;Fichier CA :</translation>
    </message>
    <message>
        <source>Delivery</source>
        <translation>Distribution</translation>
    </message>
    <message>
        <source>&amp;Transport:</source>
        <translation>&amp;Transport :</translation>
    </message>
    <message>
        <source>&amp;Save settings</source>
        <translation>&amp;Enregistrer les paramètres</translation>
    </message>
    <message>
        <source>Re&amp;vert</source>
        <translation>&amp;Rétablir</translation>
    </message>
    <message>
        <source>recipient for a test message</source>
        <translation>destinataire d’un message de test</translation>
    </message>
    <message>
        <source>Send &amp;test email</source>
        <translation>Envoyer un e-mail de &amp;test</translation>
    </message>
    <message>
        <source>Only an Administrator may change the mail settings.</source>
        <translation>Seul un administrateur peut modifier les paramètres de messagerie.</translation>
    </message>
    <message>
        <source>(stored; type to replace)</source>
        <translation>(enregistré ; tapez pour le remplacer)</translation>
    </message>
    <message>
        <source>The organisation</source>
        <translation>L’organisation</translation>
    </message>
    <message>
        <source>Mail settings saved.</source>
        <translation>Paramètres de messagerie enregistrés.</translation>
    </message>
    <message>
        <source>Sending a test message to %1…</source>
        <translation>Envoi d’un message de test à %1…</translation>
    </message>
    <message>
        <source>Test message sent to %1.</source>
        <translation>Message de test envoyé à %1.</translation>
    </message>
    <message>
        <source>The test message to %1 was not sent: %2</source>
        <translation>Le message de test à %1 n’a pas été envoyé : %2</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>Désactivé</translation>
    </message>
    <message>
        <source> days before expiry</source>
        <translation> jours avant l’expiration</translation>
    </message>
    <message>
        <source>Re-invite unconfirmed users once, this many days before their invitation expires (sent by the console&apos;s background delivery and by rosterctl outbox deliver)</source>
        <translation>Réinviter une fois les utilisateurs non confirmés, ce nombre de jours avant l’expiration de leur invitation (envoyé par la distribution en arrière-plan de la console et par rosterctl outbox deliver)</translation>
    </message>
    <message>
        <source>Automatic &amp;reminder:</source>
        <translation>&amp;Rappel automatique :</translation>
    </message>
    <message>
        <source>Bounces</source>
        <translation>Rebonds</translation>
    </message>
    <message>
        <source>none: bounces go to the sender address</source>
        <translation>aucune : les rebonds vont à l’adresse de l’expéditeur</translation>
    </message>
    <message>
        <source>The envelope sender of invitation mail; Roster tags it per message (bounces+TAG@…), so it must not hold &apos;+&apos;.</source>
        <translation>L’expéditeur d’enveloppe des e-mails d’invitation ; Roster le marque pour chaque message (bounces+TAG@…), il ne doit donc pas contenir de « + ».</translation>
    </message>
    <message>
        <source>none: bounces are not read</source>
        <translation>aucun : les rebonds ne sont pas lus</translation>
    </message>
    <message>
        <source>Allow the mailbox password over an unencrypted connection</source>
        <translation>Autoriser le mot de passe de la boîte sur une connexion non chiffrée</translation>
    </message>
    <message>
        <source>Te&amp;st mailbox</source>
        <translation>&amp;Tester la boîte</translation>
    </message>
    <message>
        <source>Sign in to the mailbox with these settings and count its unseen messages</source>
        <translation>Se connecter à la boîte avec ces paramètres et compter ses messages non lus</translation>
    </message>
    <message>
        <source>Bounce a&amp;ddress:</source>
        <translation>A&amp;dresse de rebond :</translation>
    </message>
    <message>
        <source>&amp;IMAP server:</source>
        <translation>Serveur &amp;IMAP :</translation>
    </message>
    <message>
        <source>Po&amp;rt:</source>
        <translation>Po&amp;rt :</translation>
    </message>
    <message>
        <source>Securit&amp;y:</source>
        <translation>Sécurit&amp;é :</translation>
    </message>
    <message>
        <source>Mailbox &amp;user:</source>
        <translation>&amp;Utilisateur de la boîte :</translation>
    </message>
    <message>
        <source>Mailbox pa&amp;ssword:</source>
        <translation>Mot de pa&amp;sse de la boîte :</translation>
    </message>
    <message>
        <source>Mailbo&amp;x folder:</source>
        <translation>Dossier de la &amp;boîte :</translation>
    </message>
    <message>
        <source>CA fi&amp;le:</source>
        <translation>Fic&amp;hier CA :</translation>
    </message>
    <message>
        <source>Only an Administrator may read the bounce mailbox.</source>
        <translation>Seul un administrateur peut lire la boîte des rebonds.</translation>
    </message>
    <message>
        <source>The password is sealed in the database with the organisation&apos;s key: every computer that holds the key file can send.</source>
        <translation>Le mot de passe est scellé dans la base de données avec la clé de l’organisation : tout ordinateur qui possède le fichier de clé peut envoyer.</translation>
    </message>
    <message>
        <source>No SMTP password is saved for the organisation: enter it, or mail stays queued.</source>
        <translation>Aucun mot de passe SMTP n’est enregistré pour l’organisation : saisissez-le, sinon le courrier reste en file d’attente.</translation>
    </message>
    <message>
        <source>The sender&apos;s name</source>
        <translation>Le nom de l’expéditeur</translation>
    </message>
    <message>
        <source>The user</source>
        <translation>L’utilisateur</translation>
    </message>
    <message>
        <source>The host</source>
        <translation>L’hôte</translation>
    </message>
    <message>
        <source>The mailbox folder</source>
        <translation>Le dossier de la boîte</translation>
    </message>
    <message>
        <source>Signing in to %1…</source>
        <translation>Connexion à %1…</translation>
    </message>
    <message>
        <source>Signed in to %1: 1 unseen message in %2.</source>
        <translation>Connecté à %1 : 1 message non lu dans %2.</translation>
    </message>
    <message>
        <source>Signed in to %1: %2 unseen messages in %3.</source>
        <translation>Connecté à %1 : %2 messages non lus dans %3.</translation>
    </message>
    <message>
        <source>The bounce mailbox cannot be read: %1</source>
        <translation>La boîte des rebonds ne peut pas être lue : %1</translation>
    </message>
</context>
<context>
    <name>roster::ImapClient</name>
    <message>
        <source>The bounce mailbox settings are not valid: %1</source>
        <translation>Les paramètres de la boîte des rebonds ne sont pas valides : %1</translation>
    </message>
    <message>
        <source>TLS is not available in this installation (%1).</source>
        <translation>TLS n’est pas disponible dans cette installation (%1).</translation>
    </message>
    <message>
        <source>The IMAP server %1 was not found: check the host name.</source>
        <translation>Le serveur IMAP %1 est introuvable : vérifiez le nom d’hôte.</translation>
    </message>
    <message>
        <source>The IMAP server %1 refused the connection: is it running, and is the port right?</source>
        <translation>Le serveur IMAP %1 a refusé la connexion : est-il démarré, et le port est-il le bon ?</translation>
    </message>
    <message>
        <source>Could not connect to the IMAP server %1 in time.</source>
        <translation>Connexion au serveur IMAP %1 impossible dans le délai.</translation>
    </message>
    <message>
        <source>The IMAP server did not answer in time (%1).</source>
        <translation>Le serveur IMAP n’a pas répondu à temps (%1).</translation>
    </message>
    <message>
        <source>The IMAP server closed the connection unexpectedly (%1).</source>
        <translation>Le serveur IMAP a fermé la connexion de manière inattendue (%1).</translation>
    </message>
    <message>
        <source>Network error while talking to the IMAP server: %1</source>
        <translation>Erreur réseau lors de l’échange avec le serveur IMAP : %1</translation>
    </message>
    <message>
        <source>The IMAP server sent an invalid response: %1</source>
        <translation>Le serveur IMAP a envoyé une réponse non valide : %1</translation>
    </message>
    <message>
        <source>The IMAP server sent more than allowed: %1</source>
        <translation>Le serveur IMAP a envoyé plus que permis : %1</translation>
    </message>
    <message>
        <source>The IMAP server ended the session: %1</source>
        <translation>Le serveur IMAP a mis fin à la session : %1</translation>
    </message>
    <message>
        <source>The IMAP server refused STARTTLS (%1); nothing was sent in clear text.</source>
        <translation>Le serveur IMAP a refusé STARTTLS (%1) ; rien n’a été envoyé en clair.</translation>
    </message>
    <message>
        <source>The IMAP server sent data before the TLS handshake (a STARTTLS injection attack?); the connection was aborted.</source>
        <translation>Le serveur IMAP a envoyé des données avant la négociation TLS (une attaque par injection STARTTLS ?) ; la connexion a été interrompue.</translation>
    </message>
    <message>
        <source>TLS with the IMAP server failed: %1</source>
        <translation>La connexion TLS avec le serveur IMAP a échoué : %1</translation>
    </message>
    <message>
        <source>Refusing to send the IMAP password over an unencrypted connection: use STARTTLS or TLS, or allow plain-text authentication explicitly.</source>
        <translation>Refus d’envoyer le mot de passe IMAP sur une connexion non chiffrée : utilisez STARTTLS ou TLS, ou autorisez explicitement l’authentification en clair.</translation>
    </message>
    <message>
        <source>The IMAP server rejected the user name or password: %1</source>
        <translation>Le serveur IMAP a refusé le nom d’utilisateur ou le mot de passe : %1</translation>
    </message>
    <message>
        <source>The bounce mailbox could not be opened: %1</source>
        <translation>La boîte des rebonds n’a pas pu être ouverte : %1</translation>
    </message>
    <message>
        <source>The IMAP server refused a command: %1</source>
        <translation>Le serveur IMAP a refusé une commande : %1</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>annulé</translation>
    </message>
    <message>
        <source>an unexpected continuation request</source>
        <translation>une demande de continuation inattendue</translation>
    </message>
    <message>
        <source>a reply tagged &quot;%1&quot; that answers no command in flight</source>
        <translation>une réponse étiquetée « %1 » qui ne répond à aucune commande en cours</translation>
    </message>
    <message>
        <source>a reply tagged &quot;%1&quot; that came before its command</source>
        <translation>une réponse étiquetée « %1 » arrivée avant sa commande</translation>
    </message>
    <message>
        <source>a tagged reply &quot;%1&quot;</source>
        <translation>une réponse étiquetée « %1 »</translation>
    </message>
    <message>
        <source>a PREAUTH greeting</source>
        <translation>un message d’accueil PREAUTH</translation>
    </message>
    <message>
        <source>the greeting &quot;%1&quot;</source>
        <translation>le message d’accueil « %1 »</translation>
    </message>
    <message>
        <source>an untagged response with no command in flight: &quot;%1&quot;</source>
        <translation>une réponse non étiquetée sans commande en cours : « %1 »</translation>
    </message>
    <message>
        <source>a message (UID %1) that was not asked for</source>
        <translation>un message (UID %1) qui n’a pas été demandé</translation>
    </message>
    <message>
        <source>SELECT gave no UIDVALIDITY</source>
        <translation>SELECT n’a renvoyé aucun UIDVALIDITY</translation>
    </message>
    <message>
        <source>an unexpected reply &quot;%1&quot;</source>
        <translation>une réponse inattendue « %1 »</translation>
    </message>
    <message>
        <source>a user name, password or mailbox holds a line break or NUL</source>
        <translation>un nom d’utilisateur, un mot de passe ou une boîte contient un saut de ligne ou un NUL</translation>
    </message>
</context>
<context>
    <name>roster::InvitationHistoryDialog</name>
    <message>
        <source>Invitation history — %1</source>
        <translation>Historique des invitations — %1</translation>
    </message>
    <message>
        <source>Sent at</source>
        <translation>Envoyée le</translation>
    </message>
    <message>
        <source>By</source>
        <translation>Par</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Expire</translation>
    </message>
    <message>
        <source>Mail</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>Server reply</source>
        <translation>Réponse du serveur</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Invitations of %1</source>
        <translation>Invitations de %1</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Actualiser</translation>
    </message>
    <message>
        <source>%1 has never been invited.</source>
        <translation>%1 n’a jamais été invité.</translation>
    </message>
    <message>
        <source>%1 was invited once.</source>
        <translation>%1 a été invité une fois.</translation>
    </message>
    <message>
        <source>%1 was invited %2 times.</source>
        <translation>%1 a été invité %2 fois.</translation>
    </message>
    <message>
        <source>Accepted %1</source>
        <translation>Acceptée %1</translation>
    </message>
    <message>
        <source>Revoked %1 (replaced)</source>
        <translation>Révoquée %1 (remplacée)</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>Expiré</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Ouverte</translation>
    </message>
    <message>
        <source>Link copied (no mail)</source>
        <translation>Lien copié (pas d’e-mail)</translation>
    </message>
</context>
<context>
    <name>roster::InvitationService</name>
    <message>
        <source>This invitation link is not valid: check that it was copied whole, or ask for a new invitation.</source>
        <translation>Ce lien d’invitation n’est pas valide : vérifiez qu’il a été copié en entier, ou demandez une nouvelle invitation.</translation>
    </message>
    <message>
        <source>This invitation was already accepted: sign in instead.</source>
        <translation>Cette invitation a déjà été acceptée : connectez-vous plutôt.</translation>
    </message>
    <message>
        <source>This invitation was replaced by a newer one: use the link in the latest invitation mail.</source>
        <translation>Cette invitation a été remplacée par une plus récente : utilisez le lien du dernier e-mail d’invitation.</translation>
    </message>
    <message>
        <source>This invitation was withdrawn: ask your administrator to invite you again.</source>
        <translation>Cette invitation a été retirée : demandez à votre administrateur de vous réinviter.</translation>
    </message>
    <message>
        <source>This invitation expired on %1: ask your administrator to invite you again.</source>
        <translation>Cette invitation a expiré le %1 : demandez à votre administrateur de vous réinviter.</translation>
    </message>
    <message>
        <source>This account is deactivated: ask your administrator.</source>
        <translation>Ce compte est désactivé : adressez-vous à votre administrateur.</translation>
    </message>
    <message>
        <source>This invitation was already accepted.</source>
        <translation>Cette invitation a déjà été acceptée.</translation>
    </message>
    <message>
        <source>invitation %1</source>
        <translation>invitation %1</translation>
    </message>
    <message>
        <source>superseded by a newer invitation</source>
        <translation>remplacée par une invitation plus récente</translation>
    </message>
    <message>
        <source>The invitation was not stored.</source>
        <translation>L’invitation n’a pas été enregistrée.</translation>
    </message>
    <message>
        <source>The invitation mail was not queued.</source>
        <translation>L’e-mail d’invitation n’a pas été mis en file d’attente.</translation>
    </message>
    <message>
        <source>invitation %1, expires %2</source>
        <translation>invitation %1, expire le %2</translation>
    </message>
</context>
<context>
    <name>roster::MailSettingsService</name>
    <message>
        <source>--port takes a number from 1 to 65535.</source>
        <translation>--port attend un nombre de 1 à 65535.</translation>
    </message>
    <message>
        <source>Unknown security &quot;%1&quot;: use none, starttls or tls.</source>
        <translation>Sécurité inconnue « %1 » : utilisez none, starttls ou tls.</translation>
    </message>
    <message>
        <source>The bounce address must not hold &apos;+&apos;: Roster adds +TAG to it.</source>
        <translation>L’adresse de rebond ne doit pas contenir de « + » : Roster y ajoute +TAG.</translation>
    </message>
    <message>
        <source>The host</source>
        <translation>L’hôte</translation>
    </message>
    <message>
        <source>Give the IMAP server&apos;s host name.</source>
        <translation>Indiquez le nom d’hôte du serveur IMAP.</translation>
    </message>
    <message>
        <source>Give the SMTP server&apos;s host name.</source>
        <translation>Indiquez le nom d’hôte du serveur SMTP.</translation>
    </message>
    <message>
        <source>The host holds a space.</source>
        <translation>L’hôte contient une espace.</translation>
    </message>
    <message>
        <source>The bounce mailbox needs --host, --port, --security and --user.</source>
        <translation>La boîte des rebonds attend --host, --port, --security et --user.</translation>
    </message>
    <message>
        <source>Cannot read the CA file %1.</source>
        <translation>Impossible de lire le fichier CA %1.</translation>
    </message>
    <message>
        <source>Unknown transport &quot;%1&quot;: use file or smtp.</source>
        <translation>Transport inconnu « %1 » : utilisez file ou smtp.</translation>
    </message>
    <message>
        <source>--transport file needs --dir DIR.</source>
        <translation>--transport file attend --dir DIR.</translation>
    </message>
    <message>
        <source>--from already gives the sender&apos;s name: drop --from-name, or give only the address in --from.</source>
        <translation>--from indique déjà le nom de l’expéditeur : retirez --from-name, ou n’indiquez que l’adresse dans --from.</translation>
    </message>
    <message>
        <source>--cooldown-minutes takes a number from 0 to 10080.</source>
        <translation>--cooldown-minutes attend un nombre de 0 à 10080.</translation>
    </message>
    <message>
        <source>--reminder-days takes a number from 0 (off) to 6.</source>
        <translation>--reminder-days attend un nombre de 0 (désactivé) à 6.</translation>
    </message>
    <message>
        <source>bounces configure needs --address ADDR, or --host, --port, --security and --user for the bounce mailbox.</source>
        <translation>bounces configure attend --address ADDR, ou --host, --port, --security et --user pour la boîte des rebonds.</translation>
    </message>
    <message>
        <source>Only an Administrator may change the mail settings.</source>
        <translation>Seul un administrateur peut modifier les paramètres de messagerie.</translation>
    </message>
    <message>
        <source>Give the SMTP password of %1: without it no mail can be sent.</source>
        <translation>Indiquez le mot de passe SMTP de %1 : sans lui, aucun message ne peut être envoyé.</translation>
    </message>
    <message>
        <source>Only an Administrator may read the bounce mailbox.</source>
        <translation>Seul un administrateur peut lire la boîte des rebonds.</translation>
    </message>
    <message>
        <source>No SMTP password for %1: give it on standard input.</source>
        <translation>Pas de mot de passe SMTP pour %1 : fournissez-le sur l’entrée standard.</translation>
    </message>
    <message>
        <source>No IMAP password for %1: give it on standard input.</source>
        <translation>Pas de mot de passe IMAP pour %1 : fournissez-le sur l’entrée standard.</translation>
    </message>
    <message>
        <source>Give the IMAP password of %1: without it the bounce mailbox cannot be read.</source>
        <translation>Indiquez le mot de passe IMAP de %1 : sans lui, la boîte des rebonds ne peut pas être lue.</translation>
    </message>
</context>
<context>
    <name>roster::MailSocket</name>
    <message>
        <source>no host name</source>
        <translation>pas de nom d’hôte</translation>
    </message>
    <message>
        <source>no port</source>
        <translation>pas de port</translation>
    </message>
    <message>
        <source>no TLS backend</source>
        <translation>pas de moteur TLS</translation>
    </message>
    <message>
        <source>the CA file %1 does not exist</source>
        <translation>le fichier CA %1 n’existe pas</translation>
    </message>
    <message>
        <source>the CA file %1 holds no PEM certificate</source>
        <translation>le fichier CA %1 ne contient aucun certificat PEM</translation>
    </message>
    <message>
        <source>the handshake timed out</source>
        <translation>la négociation a expiré</translation>
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
        <translation>Distribution du courrier : %1 Le message reste en file d’attente.</translation>
    </message>
    <message>
        <source>Setup</source>
        <translation>Configuration</translation>
    </message>
    <message>
        <source>Users &amp; Permissions</source>
        <translation>Utilisateurs et autorisations</translation>
    </message>
    <message>
        <source>Users</source>
        <translation>Utilisateurs</translation>
    </message>
    <message>
        <source>Profiles</source>
        <translation>Profils</translation>
    </message>
    <message>
        <source>Customer Portal</source>
        <translation>Portail client</translation>
    </message>
    <message>
        <source>Email settings</source>
        <translation>Paramètres de messagerie</translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation>Journal d’audit</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Fichier</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Actualiser</translation>
    </message>
    <message>
        <source>&amp;Find user</source>
        <translation>&amp;Rechercher un utilisateur</translation>
    </message>
    <message>
        <source>&amp;Deliver queued mail now</source>
        <translation>&amp;Distribuer maintenant le courrier en attente</translation>
    </message>
    <message>
        <source>Send every invitation that is waiting, without waiting for the next automatic run</source>
        <translation>Envoyer toutes les invitations en attente sans attendre le prochain passage automatique</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <source>&amp;Go</source>
        <translation>&amp;Aller à</translation>
    </message>
    <message>
        <source>&amp;Users</source>
        <translation>&amp;Utilisateurs</translation>
    </message>
    <message>
        <source>&amp;Profiles</source>
        <translation>&amp;Profils</translation>
    </message>
    <message>
        <source>&amp;Customer Portal users</source>
        <translation>Utilisateurs du &amp;portail client</translation>
    </message>
    <message>
        <source>&amp;Email settings</source>
        <translation>Paramètres de &amp;messagerie</translation>
    </message>
    <message>
        <source>&amp;Audit log</source>
        <translation>&amp;Journal d’audit</translation>
    </message>
    <message>
        <source>Signed in as %1</source>
        <translation>Connecté en tant que %1</translation>
    </message>
    <message>
        <source>Refreshed.</source>
        <translation>Actualisé.</translation>
    </message>
    <message>
        <source>Read the current page again from the database (F5)</source>
        <translation>Relire la page actuelle depuis la base de données (F5)</translation>
    </message>
    <message>
        <source>Search the users by name or email (Ctrl+F)</source>
        <translation>Rechercher les utilisateurs par nom ou e-mail (Ctrl+F)</translation>
    </message>
    <message>
        <source>Close Roster; queued mail waits for the next start</source>
        <translation>Fermer Roster ; le courrier en attente partira au prochain démarrage</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>É&amp;dition</translation>
    </message>
    <message>
        <source>Select &amp;all users</source>
        <translation>Sélectionner &amp;tous les utilisateurs</translation>
    </message>
    <message>
        <source>Select every user of the current view, e.g. to re-invite them</source>
        <translation>Sélectionner tous les utilisateurs de la vue actuelle, par exemple pour les réinviter</translation>
    </message>
    <message>
        <source>Show the page %1 (%2)</source>
        <translation>Afficher la page %1 (%2)</translation>
    </message>
    <message>
        <source>Bounce mailbox: %1 It is read again in a few minutes.</source>
        <translation>Boîte des rebonds : %1 Elle sera relue dans quelques minutes.</translation>
    </message>
</context>
<context>
    <name>roster::Outbox</name>
    <message>
        <source>The test message was not queued.</source>
        <translation>Le message de test n’a pas été mis en file d’attente.</translation>
    </message>
    <message>
        <source>This computer does not hold the key that protects this invitation&apos;s link (%1): run the delivery where the invitation was made, or copy that key file here.</source>
        <translation>Cet ordinateur ne possède pas la clé qui protège le lien de cette invitation (%1) : lancez la distribution là où l’invitation a été créée, ou copiez ce fichier de clé ici.</translation>
    </message>
    <message>
        <source>Roster test message from %1</source>
        <translation>Message de test Roster de %1</translation>
    </message>
    <message>
        <source>This is a test message sent by Roster to check the mail settings. If you can read it, invitations will arrive too.
</source>
        <translation>Ceci est un message de test envoyé par Roster pour vérifier les paramètres de messagerie. Si vous pouvez le lire, les invitations arriveront aussi.
</translation>
    </message>
    <message>
        <source>The message could not be built.</source>
        <translation>Le message n’a pas pu être construit.</translation>
    </message>
    <message>
        <source>The mail transport gave no result for this message.</source>
        <translation>Le transport de courrier n’a donné aucun résultat pour ce message.</translation>
    </message>
</context>
<context>
    <name>roster::ProfilesPage</name>
    <message>
        <source>Profiles</source>
        <translation>Profils</translation>
    </message>
    <message>
        <source>What each profile may do. Profiles are read-only in this version.</source>
        <translation>Ce que chaque profil peut faire. Les profils sont en lecture seule dans cette version.</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>Profil</translation>
    </message>
    <message>
        <source>Setup access</source>
        <translation>Accès à la configuration</translation>
    </message>
    <message>
        <source>Manage users</source>
        <translation>Gérer les utilisateurs</translation>
    </message>
    <message>
        <source>Everything</source>
        <translation>Tout</translation>
    </message>
    <message>
        <source>None</source>
        <translation>Aucun</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>Oui</translation>
    </message>
    <message>
        <source>No</source>
        <translation>Non</translation>
    </message>
</context>
<context>
    <name>roster::Sealer</name>
    <message>
        <source>Cannot create the folder for the key file %1.</source>
        <translation>Impossible de créer le dossier du fichier de clé %1.</translation>
    </message>
    <message>
        <source>libsodium could not be initialised.</source>
        <translation>libsodium n’a pas pu être initialisée.</translation>
    </message>
    <message>
        <source>This organisation already holds sealed data, but this computer has no key file %1: copy the organisation&apos;s key file there from a computer that delivers its mail (chmod 600), instead of making a new key.</source>
        <translation>Cette organisation contient déjà des données scellées, mais cet ordinateur n’a pas de fichier de clé %1 : copiez-y le fichier de clé de l’organisation depuis un ordinateur qui distribue son courrier (chmod 600), au lieu de créer une nouvelle clé.</translation>
    </message>
</context>
<context>
    <name>roster::SignInDialog</name>
    <message>
        <source>Sign in to Roster</source>
        <translation>Connexion à Roster</translation>
    </message>
    <message>
        <source>Sign in to &lt;b&gt;%1&lt;/b&gt; with an administrator account.</source>
        <translation>Connectez-vous à &lt;b&gt;%1&lt;/b&gt; avec un compte administrateur.</translation>
    </message>
    <message>
        <source>you@example.com</source>
        <translation>vous@example.com</translation>
    </message>
    <message>
        <source>&amp;Email:</source>
        <translation>&amp;E-mail :</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>Mot de &amp;passe :</translation>
    </message>
    <message>
        <source>&amp;Sign in</source>
        <translation>Se &amp;connecter</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>Base de données</translation>
    </message>
    <message>
        <source>The organisation&apos;s database; choose another to sign in there</source>
        <translation>La base de données de l’organisation ; choisissez-en une autre pour vous y connecter</translation>
    </message>
    <message>
        <source>&amp;Database:</source>
        <translation>&amp;Base de données :</translation>
    </message>
    <message>
        <source>Other database…</source>
        <translation>Autre base de données…</translation>
    </message>
</context>
<context>
    <name>roster::SmtpClient</name>
    <message>
        <source>The SMTP settings are not valid: %1</source>
        <translation>Les paramètres SMTP ne sont pas valides : %1</translation>
    </message>
    <message>
        <source>TLS is not available in this installation (%1): install Qt&apos;s OpenSSL TLS plugin, or use security &quot;none&quot;.</source>
        <translation>TLS n’est pas disponible dans cette installation (%1) : installez le module TLS OpenSSL de Qt, ou utilisez la sécurité « none ».</translation>
    </message>
    <message>
        <source>The SMTP server %1 was not found: check the host name.</source>
        <translation>Le serveur SMTP %1 est introuvable : vérifiez le nom d’hôte.</translation>
    </message>
    <message>
        <source>The SMTP server %1 refused the connection: is it running, and is the port right?</source>
        <translation>Le serveur SMTP %1 a refusé la connexion : est-il démarré, et le port est-il le bon ?</translation>
    </message>
    <message>
        <source>Could not connect to the SMTP server %1 in time: check the host, the port and the firewall.</source>
        <translation>Connexion au serveur SMTP %1 impossible dans le délai : vérifiez l’hôte, le port et le pare-feu.</translation>
    </message>
    <message>
        <source>The SMTP server did not answer in time (waiting for the reply to %1).</source>
        <translation>Le serveur SMTP n’a pas répondu à temps (en attente de la réponse à %1).</translation>
    </message>
    <message>
        <source>The SMTP server closed the connection unexpectedly (while waiting for the reply to %1).</source>
        <translation>Le serveur SMTP a fermé la connexion de manière inattendue (en attente de la réponse à %1).</translation>
    </message>
    <message>
        <source>Network error while talking to the SMTP server: %1</source>
        <translation>Erreur réseau lors de l’échange avec le serveur SMTP : %1</translation>
    </message>
    <message>
        <source>The SMTP server sent an invalid reply: %1</source>
        <translation>Le serveur SMTP a envoyé une réponse non valide : %1</translation>
    </message>
    <message>
        <source>The SMTP server is not available: %1</source>
        <translation>Le serveur SMTP n’est pas disponible : %1</translation>
    </message>
    <message>
        <source>The SMTP server does not offer STARTTLS, which the settings require; nothing was sent in clear text.</source>
        <translation>Le serveur SMTP ne propose pas STARTTLS, exigé par les paramètres ; rien n’a été envoyé en clair.</translation>
    </message>
    <message>
        <source>The SMTP server refused STARTTLS (%1); nothing was sent in clear text.</source>
        <translation>Le serveur SMTP a refusé STARTTLS (%1) ; rien n’a été envoyé en clair.</translation>
    </message>
    <message>
        <source>The SMTP server sent data before the TLS handshake (a STARTTLS injection attack?); the connection was aborted.</source>
        <translation>Le serveur SMTP a envoyé des données avant la négociation TLS (une attaque par injection STARTTLS ?) ; la connexion a été interrompue.</translation>
    </message>
    <message>
        <source>TLS with the SMTP server failed: %1</source>
        <translation>La connexion TLS avec le serveur SMTP a échoué : %1</translation>
    </message>
    <message>
        <source>The SMTP server offers no supported authentication mechanism (offered: %1).</source>
        <translation>Le serveur SMTP ne propose aucun mécanisme d’authentification pris en charge (proposés : %1).</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucun</translation>
    </message>
    <message>
        <source>Refusing to send the SMTP password over an unencrypted connection: use STARTTLS or TLS, or allow plain-text authentication explicitly.</source>
        <translation>Refus d’envoyer le mot de passe SMTP sur une connexion non chiffrée : utilisez STARTTLS ou TLS, ou autorisez explicitement l’authentification en clair.</translation>
    </message>
    <message>
        <source>The SMTP server rejected the user name or password: %1</source>
        <translation>Le serveur SMTP a refusé le nom d’utilisateur ou le mot de passe : %1</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>annulé</translation>
    </message>
    <message>
        <source>the HELO name &quot;%1&quot; is not a host name</source>
        <translation>le nom HELO « %1 » n’est pas un nom d’hôte</translation>
    </message>
    <message>
        <source>an unexpected reply &quot;%1&quot;</source>
        <translation>une réponse inattendue « %1 »</translation>
    </message>
    <message>
        <source>too many authentication challenges</source>
        <translation>trop de défis d’authentification</translation>
    </message>
    <message>
        <source>The message has no recipient.</source>
        <translation>Le message n’a pas de destinataire.</translation>
    </message>
    <message>
        <source>Invalid envelope address &quot;%1&quot; (empty, too long, or with spaces, angle brackets or control characters); nothing was sent.</source>
        <translation>Adresse d’enveloppe non valide « %1 » (vide, trop longue, ou avec des espaces, des chevrons ou des caractères de contrôle) ; rien n’a été envoyé.</translation>
    </message>
    <message>
        <source>The address has non-ASCII characters and the SMTP server does not support SMTPUTF8.</source>
        <translation>L’adresse contient des caractères non ASCII et le serveur SMTP ne prend pas en charge SMTPUTF8.</translation>
    </message>
    <message>
        <source>The message has a line of %1 octets; SMTP allows %2.</source>
        <translation>Le message contient une ligne de %1 octets ; SMTP en autorise %2.</translation>
    </message>
    <message>
        <source>(some recipients were refused: %1)</source>
        <translation>(certains destinataires ont été refusés : %1)</translation>
    </message>
    <message>
        <source>an unexpected reply &quot;%1&quot; to %2</source>
        <translation>une réponse inattendue « %1 » à %2</translation>
    </message>
</context>
<context>
    <name>roster::SmtpPasswordStore</name>
    <message>
        <source>the keyring did not answer</source>
        <translation>le trousseau n’a pas répondu</translation>
    </message>
</context>
<context>
    <name>roster::SmtpReplyReader</name>
    <message>
        <source>a reply line longer than %1 octets</source>
        <translation>une ligne de réponse de plus de %1 octets</translation>
    </message>
    <message>
        <source>reply lines with different codes (%1, then %2)</source>
        <translation>des lignes de réponse avec des codes différents (%1, puis %2)</translation>
    </message>
    <message>
        <source>a reply of more than %1 lines</source>
        <translation>une réponse de plus de %1 lignes</translation>
    </message>
</context>
<context>
    <name>roster::UserFormDialog</name>
    <message>
        <source>name@example.com</source>
        <translation>nom@example.com</translation>
    </message>
    <message>
        <source>The email cannot be changed: a new address needs a new invitation. Add the user with the new address, then deactivate this one.</source>
        <translation>L’e-mail ne peut pas être modifié : une nouvelle adresse demande une nouvelle invitation. Ajoutez l’utilisateur avec la nouvelle adresse, puis désactivez celui-ci.</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Nom :</translation>
    </message>
    <message>
        <source>&amp;Email:</source>
        <translation>&amp;E-mail :</translation>
    </message>
    <message>
        <source>Email:</source>
        <translation>E-mail :</translation>
    </message>
    <message>
        <source>&amp;Profile:</source>
        <translation>&amp;Profil :</translation>
    </message>
    <message>
        <source>&amp;Account:</source>
        <translation>&amp;Compte :</translation>
    </message>
    <message>
        <source>The account</source>
        <translation>Le compte</translation>
    </message>
</context>
<context>
    <name>roster::UserRepository</name>
    <message>
        <source>The user count came back empty.</source>
        <translation>Le décompte des utilisateurs n’a rien renvoyé.</translation>
    </message>
    <message>
        <source>No user with id %1.</source>
        <translation>Aucun utilisateur avec l’identifiant %1.</translation>
    </message>
    <message>
        <source>No portal user with the email %1.</source>
        <translation>Aucun utilisateur du portail avec l’e-mail %1.</translation>
    </message>
    <message>
        <source>No user with the email %1.</source>
        <translation>Aucun utilisateur avec l’e-mail %1.</translation>
    </message>
    <message>
        <source>No profile named &quot;%1&quot; (profiles: %2).</source>
        <translation>Aucun profil nommé « %1 » (profils : %2).</translation>
    </message>
</context>
<context>
    <name>roster::UserRowDelegate</name>
    <message>
        <source>Confirmed</source>
        <translation>Confirmé</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>En attente</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>Expiré</translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation>Inactif</translation>
    </message>
    <message>
        <source>%1 · asked</source>
        <translation>%1 · demandée</translation>
    </message>
</context>
<context>
    <name>roster::UserService</name>
    <message>
        <source>The account</source>
        <translation>Le compte</translation>
    </message>
    <message>
        <source>The profile</source>
        <translation>Le profil</translation>
    </message>
    <message>
        <source>Only an Administrator can add users with the Administrator profile.</source>
        <translation>Seul un administrateur peut ajouter des utilisateurs avec le profil Administrateur.</translation>
    </message>
    <message>
        <source>Portal users have no CRM profile: leave the profile out.</source>
        <translation>Les utilisateurs du portail n’ont pas de profil CRM : n’indiquez pas de profil.</translation>
    </message>
    <message>
        <source>%1 is already a user (%2): re-invite them instead.</source>
        <translation>%1 est déjà un utilisateur (%2) : réinvitez-le plutôt.</translation>
    </message>
    <message>
        <source>The new user was not stored.</source>
        <translation>Le nouvel utilisateur n’a pas été enregistré.</translation>
    </message>
    <message>
        <source>portal user</source>
        <translation>utilisateur du portail</translation>
    </message>
    <message>
        <source>%1 is already active.</source>
        <translation>%1 est déjà actif.</translation>
    </message>
    <message>
        <source>%1 is already deactivated.</source>
        <translation>%1 est déjà désactivé.</translation>
    </message>
    <message>
        <source>%1 is the last active administrator: add another one first.</source>
        <translation>%1 est le dernier administrateur actif : ajoutez-en d’abord un autre.</translation>
    </message>
    <message>
        <source>Portal users have no profile: change their account instead.</source>
        <translation>Les utilisateurs du portail n’ont pas de profil : changez plutôt leur compte.</translation>
    </message>
    <message>
        <source>Only portal users belong to an account: give a profile instead.</source>
        <translation>Seuls les utilisateurs du portail appartiennent à un compte : indiquez plutôt un profil.</translation>
    </message>
    <message>
        <source>Only an Administrator can give the Administrator profile.</source>
        <translation>Seul un administrateur peut attribuer le profil Administrateur.</translation>
    </message>
    <message>
        <source>%1 is the last active administrator: make another user an administrator first.</source>
        <translation>%1 est le dernier administrateur actif : nommez d’abord un autre utilisateur administrateur.</translation>
    </message>
    <message>
        <source>name: %1 → %2</source>
        <translation>nom : %1 → %2</translation>
    </message>
    <message>
        <source>profile: %1 → %2</source>
        <translation>profil : %1 → %2</translation>
    </message>
    <message>
        <source>account: %1 → %2</source>
        <translation>compte : %1 → %2</translation>
    </message>
    <message>
        <source>the user was deactivated</source>
        <translation>l’utilisateur a été désactivé</translation>
    </message>
    <message>
        <source>%1 is already a user (%2).</source>
        <translation>%1 est déjà un utilisateur (%2).</translation>
    </message>
    <message>
        <source>%1 → %2</source>
        <translation>%1 → %2</translation>
    </message>
    <message>
        <source>1 open invitation revoked</source>
        <translation>1 invitation ouverte révoquée</translation>
    </message>
    <message>
        <source>%1 open invitations revoked</source>
        <translation>%1 invitations ouvertes révoquées</translation>
    </message>
    <message>
        <source>1 unsent mail cancelled</source>
        <translation>1 e-mail non envoyé annulé</translation>
    </message>
    <message>
        <source>%1 unsent mails cancelled</source>
        <translation>%1 e-mails non envoyés annulés</translation>
    </message>
</context>
<context>
    <name>roster::UsersPage</name>
    <message>
        <source>Customer Portal Users</source>
        <translation>Utilisateurs du portail client</translation>
    </message>
    <message>
        <source>Users</source>
        <translation>Utilisateurs</translation>
    </message>
    <message>
        <source>All users</source>
        <translation>Tous les utilisateurs</translation>
    </message>
    <message>
        <source>Active users</source>
        <translation>Utilisateurs actifs</translation>
    </message>
    <message>
        <source>Inactive users</source>
        <translation>Utilisateurs inactifs</translation>
    </message>
    <message>
        <source>Unconfirmed users</source>
        <translation>Utilisateurs non confirmés</translation>
    </message>
    <message>
        <source>Confirmed users</source>
        <translation>Utilisateurs confirmés</translation>
    </message>
    <message>
        <source>Administrators</source>
        <translation>Administrateurs</translation>
    </message>
    <message>
        <source>Invitations expiring soon</source>
        <translation>Invitations qui expirent bientôt</translation>
    </message>
    <message>
        <source>Failed invitations</source>
        <translation>Invitations en échec</translation>
    </message>
    <message>
        <source>View</source>
        <translation>Vue</translation>
    </message>
    <message>
        <source>&amp;View:</source>
        <translation>&amp;Vue :</translation>
    </message>
    <message>
        <source>Search name or email (Ctrl+F)</source>
        <translation>Rechercher un nom ou un e-mail (Ctrl+F)</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Recherche</translation>
    </message>
    <message>
        <source>&amp;Add Portal User…</source>
        <translation>&amp;Ajouter un utilisateur du portail…</translation>
    </message>
    <message>
        <source>&amp;Add New User…</source>
        <translation>&amp;Ajouter un utilisateur…</translation>
    </message>
    <message>
        <source>&amp;Re-invite selected</source>
        <translation>&amp;Réinviter la sélection</translation>
    </message>
    <message>
        <source>Send new invitations to the selected users who have not accepted theirs</source>
        <translation>Envoyer de nouvelles invitations aux utilisateurs sélectionnés qui n’ont pas accepté la leur</translation>
    </message>
    <message>
        <source>1 user</source>
        <translation>1 utilisateur</translation>
    </message>
    <message>
        <source>%1 users</source>
        <translation>%1 utilisateurs</translation>
    </message>
    <message>
        <source>1 active user</source>
        <translation>1 utilisateur actif</translation>
    </message>
    <message>
        <source>%1 active users</source>
        <translation>%1 utilisateurs actifs</translation>
    </message>
    <message>
        <source>1 inactive user</source>
        <translation>1 utilisateur inactif</translation>
    </message>
    <message>
        <source>%1 inactive users</source>
        <translation>%1 utilisateurs inactifs</translation>
    </message>
    <message>
        <source>1 unconfirmed user</source>
        <translation>1 utilisateur non confirmé</translation>
    </message>
    <message>
        <source>%1 unconfirmed users</source>
        <translation>%1 utilisateurs non confirmés</translation>
    </message>
    <message>
        <source>1 confirmed user</source>
        <translation>1 utilisateur confirmé</translation>
    </message>
    <message>
        <source>%1 confirmed users</source>
        <translation>%1 utilisateurs confirmés</translation>
    </message>
    <message>
        <source>1 administrator</source>
        <translation>1 administrateur</translation>
    </message>
    <message>
        <source>%1 administrators</source>
        <translation>%1 administrateurs</translation>
    </message>
    <message>
        <source>1 invitation expiring soon</source>
        <translation>1 invitation qui expire bientôt</translation>
    </message>
    <message>
        <source>%1 invitations expiring soon</source>
        <translation>%1 invitations qui expirent bientôt</translation>
    </message>
    <message>
        <source>1 failed invitation</source>
        <translation>1 invitation en échec</translation>
    </message>
    <message>
        <source>%1 failed invitations</source>
        <translation>%1 invitations en échec</translation>
    </message>
    <message>
        <source>%1 matching</source>
        <translation>Résultats : %1</translation>
    </message>
    <message>
        <source>&amp;Re-invite %1 selected</source>
        <translation>&amp;Réinviter les %1 sélectionnés</translation>
    </message>
    <message>
        <source>Sending a new invitation to %1…</source>
        <translation>Envoi d’une nouvelle invitation à %1…</translation>
    </message>
    <message>
        <source>Invitation sent to %1.</source>
        <translation>Invitation envoyée à %1.</translation>
    </message>
    <message>
        <source>Queued — %1: %2; will retry at %3.</source>
        <translation>En file d’attente — %1 : %2 ; nouvel essai à %3.</translation>
    </message>
    <message>
        <source>The invitation to %1 failed: %2</source>
        <translation>L’invitation à %1 a échoué : %2</translation>
    </message>
    <message>
        <source>%1 is active again.</source>
        <translation>%1 est de nouveau actif.</translation>
    </message>
    <message>
        <source>Copied %1.</source>
        <translation>%1 copié.</translation>
    </message>
    <message>
        <source>Copied a new invitation link for %1; earlier links stop working.</source>
        <translation>Nouveau lien d’invitation copié pour %1 ; les liens précédents cessent de fonctionner.</translation>
    </message>
    <message>
        <source>Re-invite users</source>
        <translation>Réinviter des utilisateurs</translation>
    </message>
    <message>
        <source>None of the selected users can be re-invited now.</source>
        <translation>Aucun des utilisateurs sélectionnés ne peut être réinvité pour le moment.</translation>
    </message>
    <message>
        <source>1 user will get a new invitation; earlier links stop working.</source>
        <translation>1 utilisateur recevra une nouvelle invitation ; les liens précédents cesseront de fonctionner.</translation>
    </message>
    <message>
        <source>%1 users will get a new invitation; earlier links stop working.</source>
        <translation>%1 utilisateurs recevront une nouvelle invitation ; les liens précédents cesseront de fonctionner.</translation>
    </message>
    <message>
        <source>1 user will be skipped:</source>
        <translation>1 utilisateur sera ignoré :</translation>
    </message>
    <message>
        <source>%1 users will be skipped:</source>
        <translation>%1 utilisateurs seront ignorés :</translation>
    </message>
    <message>
        <source>%1 deactivated (activate them first)</source>
        <translation>désactivés (activez-les d’abord) : %1</translation>
    </message>
    <message>
        <source>%1 invited moments ago (cooldown)</source>
        <translation>invités à l’instant (délai de réinvitation) : %1</translation>
    </message>
    <message>
        <source>%1 already confirmed</source>
        <translation>déjà confirmés : %1</translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>… et %1 de plus</translation>
    </message>
    <message>
        <source>Re-invite 1 user</source>
        <translation>Réinviter 1 utilisateur</translation>
    </message>
    <message>
        <source>Re-invite %1 users</source>
        <translation>Réinviter %1 utilisateurs</translation>
    </message>
    <message>
        <source>Re-inviting %1 users…</source>
        <translation>Réinvitation de %1 utilisateurs…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Re-invited 1 user.</source>
        <translation>1 utilisateur réinvité.</translation>
    </message>
    <message>
        <source>Re-invited %1 users.</source>
        <translation>%1 utilisateurs réinvités.</translation>
    </message>
    <message>
        <source>Skipped %1 (changed meanwhile).</source>
        <translation>Ignorés (modifiés entre-temps) : %1.</translation>
    </message>
    <message>
        <source>Cancelled: the rest were not invited.</source>
        <translation>Annulé : les autres n’ont pas été invités.</translation>
    </message>
    <message>
        <source>Added %1; sending the invitation…</source>
        <translation>%1 ajouté ; envoi de l’invitation…</translation>
    </message>
    <message>
        <source>E&amp;xport CSV…</source>
        <translation>E&amp;xporter en CSV…</translation>
    </message>
    <message>
        <source>Save this view — its columns, search and order — as a CSV file for a spreadsheet</source>
        <translation>Enregistrer cette vue — ses colonnes, sa recherche et son ordre — dans un fichier CSV pour un tableur</translation>
    </message>
    <message>
        <source>portal-users.csv</source>
        <translation>utilisateurs-portail.csv</translation>
    </message>
    <message>
        <source>users.csv</source>
        <translation>utilisateurs.csv</translation>
    </message>
    <message>
        <source>Export CSV</source>
        <translation>Exporter en CSV</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Fichiers CSV (*.csv)</translation>
    </message>
    <message>
        <source>Sent an automatic reminder to 1 user.</source>
        <translation>Rappel automatique envoyé à 1 utilisateur.</translation>
    </message>
    <message>
        <source>Sent automatic reminders to %1 users.</source>
        <translation>Rappels automatiques envoyés à %1 utilisateurs.</translation>
    </message>
    <message>
        <source>Mail server unavailable — %1 (%2 invitations waiting); delivery will retry at %3.</source>
        <translation>Serveur de messagerie indisponible — %1 (%2 invitations en attente) ; nouvel essai de distribution à %3.</translation>
    </message>
    <message>
        <source>Saved %1.</source>
        <translation>%1 enregistré.</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>Export en cours…</translation>
    </message>
    <message>
        <source>Exported 1 row to %1.</source>
        <translation>1 ligne exportée dans %1.</translation>
    </message>
    <message>
        <source>Exported %1 rows to %2.</source>
        <translation>%1 lignes exportées dans %2.</translation>
    </message>
    <message>
        <source>Asked for a new invitation</source>
        <translation>Nouvelle invitation demandée</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Recherche…</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>1 user asked for a new invitation</source>
        <translation>1 utilisateur a demandé une nouvelle invitation</translation>
    </message>
    <message>
        <source>%1 users asked for a new invitation</source>
        <translation>%1 utilisateurs ont demandé une nouvelle invitation</translation>
    </message>
    <message>
        <source>Bounced invitations</source>
        <translation>Invitations non distribuées</translation>
    </message>
    <message>
        <source>Changed the address to %1; sending the invitation…</source>
        <translation>Adresse changée en %1 ; envoi de l’invitation…</translation>
    </message>
    <message>
        <source>1 bounced invitation</source>
        <translation>1 invitation non distribuée</translation>
    </message>
    <message>
        <source>%1 bounced invitations</source>
        <translation>%1 invitations non distribuées</translation>
    </message>
    <message>
        <source>%1 is deactivated: their invitation links stop working and unsent invitation mail is cancelled.</source>
        <translation>%1 est désactivé : ses liens d’invitation cessent de fonctionner et les e-mails d’invitation non envoyés sont annulés.</translation>
    </message>
    <message>
        <source>%1 is active again: re-invite them for a new invitation link.</source>
        <translation>%1 est de nouveau actif : réinvitez-le pour un nouveau lien d’invitation.</translation>
    </message>
</context>
<context>
    <name>roster::UsersTableModel</name>
    <message>
        <source>Queued</source>
        <translation>En file d’attente</translation>
    </message>
    <message>
        <source>Sending</source>
        <translation>Envoi en cours</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>Envoyé</translation>
    </message>
    <message>
        <source>Will retry</source>
        <translation>Nouvel essai prévu</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Échec</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Annulé</translation>
    </message>
    <message>
        <source>today</source>
        <translation>aujourd’hui</translation>
    </message>
    <message>
        <source>yesterday</source>
        <translation>hier</translation>
    </message>
    <message>
        <source>%1 days ago</source>
        <translation>il y a %1 jours</translation>
    </message>
    <message>
        <source>expires within a day</source>
        <translation>expire dans la journée</translation>
    </message>
    <message>
        <source>expires in %1 days</source>
        <translation>expire dans %1 jours</translation>
    </message>
    <message>
        <source>expired today</source>
        <translation>expiré aujourd’hui</translation>
    </message>
    <message>
        <source>expired yesterday</source>
        <translation>expiré hier</translation>
    </message>
    <message>
        <source>expired %1 days ago</source>
        <translation>expiré depuis %1 jours</translation>
    </message>
    <message>
        <source>Invitation mail: %1 — %2</source>
        <translation>E-mail d’invitation : %1 — %2</translation>
    </message>
    <message>
        <source>Invited %1 by %2; invitations so far: %3</source>
        <translation>Invité %1 par %2 ; invitations jusqu’ici : %3</translation>
    </message>
    <message>
        <source>Actions for %1 (Menu key or Shift+F10)</source>
        <translation>Actions pour %1 (touche Menu ou Maj+F10)</translation>
    </message>
    <message>
        <source>Actions for %1</source>
        <translation>Actions pour %1</translation>
    </message>
    <message>
        <source>Actions</source>
        <translation>Actions</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Email</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Compte</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>Profil</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Statut</translation>
    </message>
    <message>
        <source>Invited</source>
        <translation>Invité</translation>
    </message>
    <message>
        <source>Invited at</source>
        <translation>Invité le</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Expire</translation>
    </message>
    <message>
        <source>Invites</source>
        <translation>Invitations</translation>
    </message>
    <message>
        <source>Last invited by</source>
        <translation>Dernière invitation par</translation>
    </message>
    <message>
        <source>Mail</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>asked for a new invitation</source>
        <translation>nouvelle invitation demandée</translation>
    </message>
    <message>
        <source>Asked for a new invitation on %1</source>
        <translation>Nouvelle invitation demandée le %1</translation>
    </message>
    <message>
        <source>Bounced</source>
        <translation>Non distribué</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>The last invitation to %1 bounced: %2</source>
        <translation>La dernière invitation envoyée à %1 n’a pas pu être distribuée : %2</translation>
    </message>
    <message>
        <source>no diagnostic given</source>
        <translation>aucun diagnostic fourni</translation>
    </message>
</context>
<context>
    <name>roster::WelcomeDialog</name>
    <message>
        <source>Welcome to Roster</source>
        <translation>Bienvenue dans Roster</translation>
    </message>
    <message>
        <source>&amp;Open a database file…</source>
        <translation>&amp;Ouvrir un fichier de base de données…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <source>Open a Roster database</source>
        <translation>Ouvrir une base de données Roster</translation>
    </message>
    <message>
        <source>Roster databases (*.db *.sqlite);;All files (*)</source>
        <translation>Bases de données Roster (*.db *.sqlite);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>Demo organisation created</source>
        <translation>Organisation de démonstration créée</translation>
    </message>
    <message>
        <source>Northwind Traders is ready, with 200 users in every state.

Sign in as %1 with the password:

%2

(Copy it now: it is shown only once.)</source>
        <translation>Northwind Traders est prêt, avec 200 utilisateurs dans tous les états.

Connectez-vous en tant que %1 avec le mot de passe :

%2

(Copiez-le maintenant : il n’est affiché qu’une fois.)</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Welcome to Roster&lt;/h3&gt;&lt;p&gt;Roster keeps your CRM&apos;s users in order: who is invited, who never accepted, who may sign in.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Bienvenue dans Roster&lt;/h3&gt;&lt;p&gt;Roster tient en ordre les utilisateurs de votre CRM : qui est invité, qui n’a jamais accepté, qui peut se connecter.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&amp;Create a new organisation…</source>
        <translation>&amp;Créer une nouvelle organisation…</translation>
    </message>
    <message>
        <source>A new database file with you as its first administrator</source>
        <translation>Un nouveau fichier de base de données dont vous êtes le premier administrateur</translation>
    </message>
    <message>
        <source>An organisation&apos;s existing Roster database (SQLite)</source>
        <translation>La base de données Roster existante d’une organisation (SQLite)</translation>
    </message>
    <message>
        <source>Connect to a &amp;PostgreSQL server…</source>
        <translation>Se connecter à un serveur &amp;PostgreSQL…</translation>
    </message>
    <message>
        <source>An organisation&apos;s database on a PostgreSQL server</source>
        <translation>La base de données d’une organisation sur un serveur PostgreSQL</translation>
    </message>
    <message>
        <source>Open the &amp;demo organisation</source>
        <translation>Ouvrir l’organisation de &amp;démonstration</translation>
    </message>
    <message>
        <source>Northwind Traders, with 200 made-up users in every state</source>
        <translation>Northwind Traders, avec 200 utilisateurs fictifs dans tous les états</translation>
    </message>
    <message>
        <source>Close Roster</source>
        <translation>Fermer Roster</translation>
    </message>
    <message>
        <source>&amp;Recent databases:</source>
        <translation>Bases de données &amp;récentes :</translation>
    </message>
    <message>
        <source>Recent databases</source>
        <translation>Bases de données récentes</translation>
    </message>
    <message>
        <source>Press Enter or double-click to open</source>
        <translation>Appuyez sur Entrée ou double-cliquez pour ouvrir</translation>
    </message>
    <message>
        <source>&lt;h3&gt;A new organisation&lt;/h3&gt;&lt;p&gt;You become its first administrator; invite everyone else from the Users page.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Une nouvelle organisation&lt;/h3&gt;&lt;p&gt;Vous en devenez le premier administrateur ; invitez tous les autres depuis la page Utilisateurs.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>you@example.com</source>
        <translation>vous@example.com</translation>
    </message>
    <message>
        <source>&amp;Organisation:</source>
        <translation>&amp;Organisation :</translation>
    </message>
    <message>
        <source>Your &amp;email:</source>
        <translation>Votre &amp;e-mail :</translation>
    </message>
    <message>
        <source>Your &amp;name:</source>
        <translation>Votre &amp;nom :</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>Mot de &amp;passe :</translation>
    </message>
    <message>
        <source>&amp;Repeat password:</source>
        <translation>&amp;Répéter le mot de passe :</translation>
    </message>
    <message>
        <source>Choose &amp;file and create…</source>
        <translation>Choisir le &amp;fichier et créer…</translation>
    </message>
    <message>
        <source>&amp;Back</source>
        <translation>&amp;Retour</translation>
    </message>
    <message>
        <source>&lt;h3&gt;A PostgreSQL server&lt;/h3&gt;&lt;p&gt;The password is used for this connection only and never stored; next time Roster asks again (or reads ~/.pgpass).&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Un serveur PostgreSQL&lt;/h3&gt;&lt;p&gt;Le mot de passe sert uniquement à cette connexion et n’est jamais enregistré ; la prochaine fois, Roster le redemande (ou lit ~/.pgpass).&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&amp;Host:</source>
        <translation>&amp;Hôte :</translation>
    </message>
    <message>
        <source>P&amp;ort:</source>
        <translation>P&amp;ort :</translation>
    </message>
    <message>
        <source>&amp;Database:</source>
        <translation>&amp;Base de données :</translation>
    </message>
    <message>
        <source>&amp;User:</source>
        <translation>&amp;Utilisateur :</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>Mot de &amp;passe :</translation>
    </message>
    <message>
        <source>&amp;Connect</source>
        <translation>Se &amp;connecter</translation>
    </message>
    <message>
        <source>Give the server&apos;s host name and the database&apos;s name.</source>
        <translation>Indiquez le nom d’hôte du serveur et le nom de la base de données.</translation>
    </message>
    <message>
        <source>The two passwords differ: type the same password twice.</source>
        <translation>Les deux mots de passe diffèrent : tapez deux fois le même mot de passe.</translation>
    </message>
    <message>
        <source>The organisation name</source>
        <translation>Le nom de l’organisation</translation>
    </message>
    <message>
        <source>Give the organisation&apos;s name.</source>
        <translation>Indiquez le nom de l’organisation.</translation>
    </message>
    <message>
        <source>Where to keep the new organisation&apos;s database</source>
        <translation>Où conserver la base de données de la nouvelle organisation</translation>
    </message>
    <message>
        <source>%1 already exists: choose a new file name, or open it instead.</source>
        <translation>%1 existe déjà : choisissez un nouveau nom de fichier, ou ouvrez-le plutôt.</translation>
    </message>
</context>
<context>
    <name>roster::cli</name>
    <message>
        <source>(see &quot;rosterctl --help&quot;)</source>
        <translation>(voir « rosterctl --help »)</translation>
    </message>
    <message>
        <source>--%1 needs a value.</source>
        <translation>--%1 attend une valeur.</translation>
    </message>
    <message>
        <source>Unknown option --%1.</source>
        <translation>Option inconnue --%1.</translation>
    </message>
    <message>
        <source>The organisation name</source>
        <translation>Le nom de l’organisation</translation>
    </message>
    <message>
        <source>No password for the administrator: give it on standard input.</source>
        <translation>Pas de mot de passe pour l’administrateur : fournissez-le sur l’entrée standard.</translation>
    </message>
    <message>
        <source>Created %1 with the administrator %2.</source>
        <translation>%1 créé avec l’administrateur %2.</translation>
    </message>
    <message>
        <source>Give both --admin-email and --admin-name, or neither.</source>
        <translation>Indiquez à la fois --admin-email et --admin-name, ou aucun des deux.</translation>
    </message>
    <message>
        <source>Created %1: %2 users and %3 portal users of Northwind Traders.</source>
        <translation>%1 créé : %2 utilisateurs et %3 utilisateurs du portail de Northwind Traders.</translation>
    </message>
    <message>
        <source>Sign in as %1 with the password %2</source>
        <translation>Connectez-vous en tant que %1 avec le mot de passe %2</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;.</source>
        <translation>Argument inattendu « %1 ».</translation>
    </message>
    <message>
        <source>added %1</source>
        <translatorcomment>Stays English: scripts read rosterctl&apos;s per-recipient lines (docs/console.md).</translatorcomment>
        <translation>added %1</translation>
    </message>
    <message>
        <source>The search text</source>
        <translation>Le texte recherché</translation>
    </message>
    <message>
        <source>NAME</source>
        <translation>NOM</translation>
    </message>
    <message>
        <source>EMAIL</source>
        <translation>E-MAIL</translation>
    </message>
    <message>
        <source>ACCOUNT</source>
        <translation>COMPTE</translation>
    </message>
    <message>
        <source>PROFILE</source>
        <translation>PROFIL</translation>
    </message>
    <message>
        <source>STATUS</source>
        <translation>STATUT</translation>
    </message>
    <message>
        <source>INVITED</source>
        <translation>INVITÉ</translation>
    </message>
    <message>
        <source>1 user</source>
        <translation>1 utilisateur</translation>
    </message>
    <message>
        <source>%1 users</source>
        <translation>%1 utilisateurs</translation>
    </message>
    <message>
        <source>user reinvite takes EMAIL... or --all-unconfirmed.</source>
        <translation>user reinvite attend EMAIL... ou --all-unconfirmed.</translation>
    </message>
    <message>
        <source>--expired-only goes with --all-unconfirmed.</source>
        <translation>--expired-only va avec --all-unconfirmed.</translation>
    </message>
    <message>
        <source>user edit needs --name, --profile or --account.</source>
        <translation>user edit attend --name, --profile ou --account.</translation>
    </message>
    <message>
        <source>Portal users have no profile: change their --account instead.</source>
        <translation>Les utilisateurs du portail n’ont pas de profil : changez plutôt leur --account.</translation>
    </message>
    <message>
        <source>Only portal users belong to an account: add --portal, or give --profile.</source>
        <translation>Seuls les utilisateurs du portail appartiennent à un compte : ajoutez --portal, ou indiquez --profile.</translation>
    </message>
    <message>
        <source>No password for the new account: give it on standard input.</source>
        <translation>Pas de mot de passe pour le nouveau compte : fournissez-le sur l’entrée standard.</translation>
    </message>
    <message>
        <source>accepted %1</source>
        <translatorcomment>Stays English: scripts read rosterctl&apos;s per-recipient lines (docs/console.md).</translatorcomment>
        <translation>accepted %1</translation>
    </message>
    <message>
        <source>--transport smtp needs --host, --port and --security.</source>
        <translation>--transport smtp attend --host, --port et --security.</translation>
    </message>
    <message>
        <source>--%1 goes with --transport smtp.</source>
        <translation>--%1 va avec --transport smtp.</translation>
    </message>
    <message>
        <source>Mail settings saved.</source>
        <translation>Paramètres de messagerie enregistrés.</translation>
    </message>
    <message>
        <source>The test message was not sent.</source>
        <translation>Le message de test n’a pas été envoyé.</translation>
    </message>
    <message>
        <source>%1 needs a value.</source>
        <translation>%1 attend une valeur.</translation>
    </message>
    <message>
        <source>No command given.</source>
        <translation>Aucune commande indiquée.</translation>
    </message>
    <message>
        <source>Unknown command &quot;%1&quot;.</source>
        <translation>Commande inconnue « %1 ».</translation>
    </message>
    <message>
        <source>ASKED</source>
        <translation>DEMANDÉE</translation>
    </message>
    <message>
        <source>--%1 goes with --host.</source>
        <translation>--%1 va avec --host.</translation>
    </message>
    <message>
        <source>The bounce mailbox needs --host, --port, --security and --user.</source>
        <translation>La boîte des rebonds attend --host, --port, --security et --user.</translation>
    </message>
    <message>
        <source>Bounce settings saved.</source>
        <translation>Paramètres des rebonds enregistrés.</translation>
    </message>
    <message>
        <source>Only an Administrator may read the bounce mailbox.</source>
        <translation>Seul un administrateur peut lire la boîte des rebonds.</translation>
    </message>
    <message>
        <source>the envelope sender of invitation mail (Roster adds +TAG per message)</source>
        <translation>l’expéditeur d’enveloppe des e-mails d’invitation (Roster ajoute +TAG à chaque message)</translation>
    </message>
    <message>
        <source>the mailbox to read (default INBOX)</source>
        <translation>la boîte à lire (INBOX par défaut)</translation>
    </message>
    <message>
        <source>Set the envelope sender of invitation mail (--address), or the bounce mailbox over IMAP (--host, --port, --security and --user; the password from standard input). Administrators only.</source>
        <translation>Définir l’expéditeur d’enveloppe des e-mails d’invitation (--address), ou la boîte des rebonds par IMAP (--host, --port, --security et --user ; le mot de passe sur l’entrée standard). Réservé aux administrateurs.</translation>
    </message>
    <message>
        <source>the output (default table)</source>
        <translation>la sortie (table par défaut)</translation>
    </message>
    <message>
        <source>%1 needs at least one %2.</source>
        <translation>%1 attend au moins un argument %2.</translation>
    </message>
    <message>
        <source>%1 takes one %2.</source>
        <translation>%1 attend un argument %2.</translation>
    </message>
    <message>
        <source>%1 takes %2 and %3.</source>
        <translation>%1 attend %2 et %3.</translation>
    </message>
    <message>
        <source>%1 needs a subcommand: %2.</source>
        <translation>%1 attend une sous-commande : %2.</translation>
    </message>
    <message>
        <source>Unknown %1 subcommand &quot;%2&quot;.</source>
        <translation>Sous-commande %1 inconnue « %2 ».</translation>
    </message>
    <message>
        <source>Exit codes: 0 done; 1 some recipients deferred or failed; 2 usage; 3 refused by a rule or a
permission; 4 not found; 5 database error; 6 mail configuration or connection error.
</source>
        <translation>Codes de sortie : 0 terminé ; 1 certains destinataires différés ou en échec ; 2 usage incorrect ;
3 refusé par une règle ou une autorisation ; 4 introuvable ; 5 erreur de base de données ;
6 erreur de configuration ou de connexion du courrier.
</translation>
    </message>
    <message>
        <source>Manage a Roster organisation&apos;s users from scripts. ROSTER_DB and ROSTER_AS are the defaults of
--db and --as; acting commands read the password of --as from ROSTER_PASSWORD, else from the
first line of standard input.
</source>
        <translation>Gérer depuis des scripts les utilisateurs d’une organisation Roster. ROSTER_DB et ROSTER_AS sont les
valeurs par défaut de --db et --as ; les commandes qui agissent lisent le mot de passe de --as dans
ROSTER_PASSWORD, sinon sur la première ligne de l’entrée standard.
</translation>
    </message>
    <message>
        <source>Commands:</source>
        <translation>Commandes :</translation>
    </message>
    <message>
        <source>Commands that queue mail deliver it before they exit (unless --queue-only) and print, per
recipient: sent, deferred (with the reply) or failed.
</source>
        <translation>Les commandes qui mettent du courrier en file d’attente le distribuent avant de se terminer (sauf
avec --queue-only) et affichent, par destinataire : sent, deferred (avec la réponse) ou failed.
</translation>
    </message>
    <message>
        <source>Options:</source>
        <translation>Options :</translation>
    </message>
    <message>
        <source>(%1 to %2)</source>
        <translation>(de %1 à %2)</translation>
    </message>
    <message>
        <source>(required)</source>
        <translation>(obligatoire)</translation>
    </message>
    <message>
        <source>&quot;rosterctl %1 SUBCOMMAND --help&quot; tells more about one of them.</source>
        <translation>« rosterctl %1 SUBCOMMAND --help » en dit plus sur l’une d’elles.</translation>
    </message>
    <message>
        <source>Invite the named users again, or with --all-unconfirmed every unconfirmed user (confirmed, deactivated and cooling-down users are refused; in bulk, skipped and listed).</source>
        <translation>Réinviter les utilisateurs nommés, ou avec --all-unconfirmed tous les utilisateurs non confirmés (les utilisateurs confirmés, désactivés ou encore dans leur délai de réinvitation sont refusés ; en masse, ils sont ignorés et listés).</translation>
    </message>
    <message>
        <source>every unconfirmed user, instead of EMAIL...</source>
        <translation>tous les utilisateurs non confirmés, au lieu de EMAIL...</translation>
    </message>
    <message>
        <source>with --all-unconfirmed: only those whose invitation expired</source>
        <translation>avec --all-unconfirmed : seulement ceux dont l’invitation a expiré</translation>
    </message>
    <message>
        <source>A user&apos;s invitations: when each was sent and by whom, its state and its mail&apos;s delivery.</source>
        <translation>Les invitations d’un utilisateur : quand et par qui chacune a été envoyée, son état et la distribution de son e-mail.</translation>
    </message>
    <message>
        <source>Accept an invitation as the accept page does; the user&apos;s new password is read from standard input.</source>
        <translation>Accepter une invitation comme le fait la page d’acceptation ; le nouveau mot de passe de l’utilisateur est lu sur l’entrée standard.</translation>
    </message>
    <message>
        <source>the token parameter of the invitation link</source>
        <translation>le paramètre token du lien d’invitation</translation>
    </message>
    <message>
        <source>the %1 server</source>
        <translation>le serveur %1</translation>
    </message>
    <message>
        <source>its port</source>
        <translation>son port</translation>
    </message>
    <message>
        <source>TLS from the start (tls), after STARTTLS, or none</source>
        <translation>TLS dès le début (tls), après STARTTLS, ou aucune</translation>
    </message>
    <message>
        <source>the user to sign in as; the password is read from standard input</source>
        <translation>l’utilisateur sous lequel se connecter ; le mot de passe est lu sur l’entrée standard</translation>
    </message>
    <message>
        <source>verify the server&apos;s certificate against PEM instead of the system&apos;s CAs</source>
        <translation>vérifier le certificat du serveur avec PEM au lieu des autorités de certification du système</translation>
    </message>
    <message>
        <source>allow the password without TLS</source>
        <translation>autoriser le mot de passe sans TLS</translation>
    </message>
    <message>
        <source>write .eml files into --dir, or send through an SMTP server</source>
        <translation>écrire des fichiers .eml dans --dir, ou envoyer par un serveur SMTP</translation>
    </message>
    <message>
        <source>with --transport file: the folder for the messages</source>
        <translation>avec --transport file : le dossier des messages</translation>
    </message>
    <message>
        <source>the sender: an address, or &quot;NAME &lt;ADDR&gt;&quot;</source>
        <translation>l’expéditeur : une adresse, ou « NAME &lt;ADDR&gt; »</translation>
    </message>
    <message>
        <source>the sender&apos;s name</source>
        <translation>le nom de l’expéditeur</translation>
    </message>
    <message>
        <source>the organisation&apos;s name</source>
        <translation>le nom de l’organisation</translation>
    </message>
    <message>
        <source>the accept page of CRM users (the link is URL?token=TOKEN)</source>
        <translation>la page d’acceptation des utilisateurs du CRM (le lien est URL?token=TOKEN)</translation>
    </message>
    <message>
        <source>the accept page of portal users</source>
        <translation>la page d’acceptation des utilisateurs du portail</translation>
    </message>
    <message>
        <source>the time before the same user may be re-invited</source>
        <translation>le délai avant de pouvoir réinviter le même utilisateur</translation>
    </message>
    <message>
        <source>remind unconfirmed users N days before their invitation expires</source>
        <translation>rappeler aux utilisateurs non confirmés leur invitation N jours avant son expiration</translation>
    </message>
    <message>
        <source>off</source>
        <translation>désactivé</translation>
    </message>
    <message>
        <source>Change the mail settings: the transport (--transport file --dir DIR, or --transport smtp --host H --port P --security S, the SMTP password from standard input with --user), the sender and the invitation&apos;s links and timing. Administrators only.</source>
        <translation>Modifier les paramètres de messagerie : le transport (--transport file --dir DIR, ou --transport smtp --host H --port P --security S, le mot de passe SMTP sur l’entrée standard avec --user), l’expéditeur, ainsi que les liens et les délais de l’invitation. Réservé aux administrateurs.</translation>
    </message>
    <message>
        <source>Print the mail settings (never the SMTP password).</source>
        <translation>Afficher les paramètres de messagerie (jamais le mot de passe SMTP).</translation>
    </message>
    <message>
        <source>Send a test message through the configured transport now.</source>
        <translation>Envoyer maintenant un message de test par le transport configuré.</translation>
    </message>
    <message>
        <source>the recipient</source>
        <translation>le destinataire</translation>
    </message>
    <message>
        <source>--%1 takes a positive number.</source>
        <translation>--%1 attend un nombre positif.</translation>
    </message>
    <message>
        <source>--%1 takes a number from %2 to %3.</source>
        <translation>--%1 attend un nombre de %2 à %3.</translation>
    </message>
    <message>
        <source>Unknown %1 &quot;%2&quot;: use %3.</source>
        <translation>Valeur « %2 » inconnue pour %1 : utilisez %3.</translation>
    </message>
    <message>
        <source>%1 or %2</source>
        <translation>%1 ou %2</translation>
    </message>
    <message>
        <source>--%1 takes no value.</source>
        <translation>--%1 n’accepte pas de valeur.</translation>
    </message>
    <message>
        <source>%1 needs %2.</source>
        <translation>%1 attend %2.</translation>
    </message>
    <message>
        <source>%1 needs %2 and %3.</source>
        <translation>%1 attend %2 et %3.</translation>
    </message>
    <message>
        <source>List queued and sent mail, newest first.</source>
        <translation>Lister le courrier en attente et envoyé, le plus récent d’abord.</translation>
    </message>
    <message>
        <source>only the messages in that state</source>
        <translation>seulement les messages dans cet état</translation>
    </message>
    <message>
        <source>at most N messages (default 1000)</source>
        <translation>au plus N messages (1000 par défaut)</translation>
    </message>
    <message>
        <source>Send the automatic reminders that are due, then the mail that is due: queued messages and deferred ones whose retry time has come. Run it from a timer.</source>
        <translation>Envoyer les rappels automatiques dus, puis le courrier dû : les messages en attente et les messages différés dont l’heure du nouvel essai est venue. À lancer depuis un timer.</translation>
    </message>
    <message>
        <source>A new database and its first Administrator, whose password is read from standard input.</source>
        <translation>Une nouvelle base de données et son premier administrateur, dont le mot de passe est lu sur l’entrée standard.</translation>
    </message>
    <message>
        <source>the administrator&apos;s email address</source>
        <translation>l’adresse e-mail de l’administrateur</translation>
    </message>
    <message>
        <source>the administrator&apos;s name</source>
        <translation>le nom de l’administrateur</translation>
    </message>
    <message>
        <source>A new database of demo data: about 10% of the users unconfirmed (half of them expired), about 5% deactivated, a few administrators. With --admin-email the administrator&apos;s password is read from standard input; without it, demo prints the one it made.</source>
        <translation>Une nouvelle base de données de démonstration : environ 10 % des utilisateurs non confirmés (dont la moitié expirés), environ 5 % désactivés, quelques administrateurs. Avec --admin-email, le mot de passe de l’administrateur est lu sur l’entrée standard ; sans cette option, demo affiche celui qu’il a créé.</translation>
    </message>
    <message>
        <source>how many CRM users (default 200)</source>
        <translation>combien d’utilisateurs du CRM (200 par défaut)</translation>
    </message>
    <message>
        <source>how many portal users (default: a tenth of --users)</source>
        <translation>combien d’utilisateurs du portail (par défaut : un dixième de --users)</translation>
    </message>
    <message>
        <source>the seed of the random data, to make the same organisation again</source>
        <translation>la graine des données aléatoires, pour recréer la même organisation</translation>
    </message>
    <message>
        <source>the administrator&apos;s email address (with --admin-name)</source>
        <translation>l’adresse e-mail de l’administrateur (avec --admin-name)</translation>
    </message>
    <message>
        <source>the administrator&apos;s name (with --admin-email)</source>
        <translation>le nom de l’administrateur (avec --admin-email)</translation>
    </message>
    <message>
        <source>a user of the Customer Portal instead of the CRM</source>
        <translation>un utilisateur du portail client au lieu du CRM</translation>
    </message>
    <message>
        <source>queue the mail without delivering it now</source>
        <translation>mettre le message en file d’attente sans le distribuer maintenant</translation>
    </message>
    <message>
        <source>Add a user, unconfirmed, and send the first invitation.</source>
        <translation>Ajouter un utilisateur, non confirmé, et envoyer la première invitation.</translation>
    </message>
    <message>
        <source>the user&apos;s email address</source>
        <translation>l’adresse e-mail de l’utilisateur</translation>
    </message>
    <message>
        <source>the user&apos;s name</source>
        <translation>le nom de l’utilisateur</translation>
    </message>
    <message>
        <source>the CRM user&apos;s profile (default Standard)</source>
        <translation>le profil de l’utilisateur du CRM (le profil Standard par défaut)</translation>
    </message>
    <message>
        <source>the customer account of a portal user</source>
        <translation>le compte client d’un utilisateur du portail</translation>
    </message>
    <message>
        <source>List users, a page at a time from the database; --format json prints one JSON document, csv a header line and a line per user.</source>
        <translation>Lister les utilisateurs, page par page depuis la base de données ; --format json affiche un document JSON, csv une ligne d’en-tête et une ligne par utilisateur.</translation>
    </message>
    <message>
        <source>which users (default all)</source>
        <translation>quels utilisateurs (all par défaut)</translation>
    </message>
    <message>
        <source>only users whose name or email holds TEXT</source>
        <translation>seulement les utilisateurs dont le nom ou l’e-mail contient TEXT</translation>
    </message>
    <message>
        <source>at most N users</source>
        <translation>au plus N utilisateurs</translation>
    </message>
    <message>
        <source>Activate users again (an unconfirmed one then needs a re-invite).</source>
        <translation>Réactiver des utilisateurs (un utilisateur non confirmé doit ensuite être réinvité).</translation>
    </message>
    <message>
        <source>Deactivate users: their open invitations are revoked and their unsent invitation mail cancelled.</source>
        <translation>Désactiver des utilisateurs : leurs invitations ouvertes sont révoquées et leurs e-mails d’invitation non envoyés annulés.</translation>
    </message>
    <message>
        <source>Change a user&apos;s name, profile or account. The email stays: a new address is a new user and a new invitation.</source>
        <translation>Modifier le nom, le profil ou le compte d’un utilisateur. L’e-mail reste : une nouvelle adresse est un nouvel utilisateur et une nouvelle invitation.</translation>
    </message>
    <message>
        <source>the new name</source>
        <translation>le nouveau nom</translation>
    </message>
    <message>
        <source>the CRM user&apos;s new profile</source>
        <translation>le nouveau profil de l’utilisateur du CRM</translation>
    </message>
    <message>
        <source>the portal user&apos;s new account</source>
        <translation>le nouveau compte de l’utilisateur du portail</translation>
    </message>
    <message>
        <source>Give an unconfirmed user a new address: their open invitations are revoked and a new one is sent to NEW.</source>
        <translation>Donner une nouvelle adresse à un utilisateur non confirmé : ses invitations ouvertes sont révoquées et une nouvelle est envoyée à NEW.</translation>
    </message>
    <message>
        <source>Read the new mail of the bounce mailbox, in as many sessions as it takes, and print one line per delivery report; nothing is ever deleted.</source>
        <translation>Lit le nouveau courrier de la boîte des rebonds, en autant de sessions qu’il le faut, et affiche une ligne par rapport de distribution ; rien n’est jamais supprimé.</translation>
    </message>
    <message>
        <source>Sending beside the re-invite stopped (the rest is sent now): %1</source>
        <translation>L’envoi en parallèle de la réinvitation s’est arrêté (le reste est envoyé maintenant) : %1</translation>
    </message>
</context>
<context>
    <name>roster::cli::AdminSession</name>
    <message>
        <source>No database given: pass --db PATH or set ROSTER_DB.</source>
        <translation>Aucune base de données indiquée : passez --db CHEMIN ou définissez ROSTER_DB.</translation>
    </message>
    <message>
        <source>This command acts on users: pass --as EMAIL (or set ROSTER_AS) to sign in as an administrator.</source>
        <translation>Cette commande agit sur des utilisateurs : passez --as EMAIL (ou définissez ROSTER_AS) pour vous connecter en tant qu’administrateur.</translation>
    </message>
    <message>
        <source>No password for %1: set ROSTER_PASSWORD or give it on standard input.</source>
        <translation>Pas de mot de passe pour %1 : définissez ROSTER_PASSWORD ou fournissez-le sur l’entrée standard.</translation>
    </message>
</context>
<context>
    <name>roster::cli::Delivery</name>
    <message>
        <source>The mail stays queued.</source>
        <translation>Le message reste en file d’attente.</translation>
    </message>
    <message>
        <source>Another sender took back the message to %1 while this one was sending it, so its result was not saved: it may arrive twice.</source>
        <translation>Un autre processus d’envoi a repris le message destiné à %1 pendant que celui-ci l’envoyait : son résultat n’a donc pas été enregistré, et il peut arriver deux fois.</translation>
    </message>
    <message>
        <source>retry at %1</source>
        <translation>nouvel essai à %1</translation>
    </message>
</context>
<context>
    <name>roster::web::HttpServer</name>
    <message>
        <source>Cannot listen on %1: %2.</source>
        <translation>Impossible d’écouter sur %1 : %2.</translation>
    </message>
    <message>
        <source>Cannot listen on %1:%2: the address is in use or not this machine&apos;s, or the TLS certificate and key do not fit together.</source>
        <translation>Impossible d’écouter sur %1:%2 : l’adresse est occupée ou n’appartient pas à cette machine, ou le certificat TLS et la clé ne vont pas ensemble.</translation>
    </message>
</context>
</TS>
