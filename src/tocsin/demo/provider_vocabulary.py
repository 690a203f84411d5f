"""What goes wrong with the services the provider runs for every customer."""

from __future__ import annotations

from tocsin.demo.templates import REQUEST, SECURITY, D, M, P, Template

# service slug -> what goes wrong there
PROVIDER_TEMPLATES: dict[str, tuple[Template, ...]] = {
    "mail": (
        Template(
            "Outlook keeps asking for the password",
            "Since this morning Outlook on my laptop prompts for my password every few "
            "minutes. Webmail works fine.",
            "Software",
            "E-mail",
            (4, 3),
            (P, D),
            fixes=(
                "Removed the stale credentials from Windows Credential Manager and "
                "re-created the Outlook profile.",
            ),
            notes=("Modern auth token was cached for the old UPN.",),
        ),
        Template(
            "Mail to {domain} delayed by {n} hours",
            "Outbound queue for {domain} is growing; messages are deferred with "
            "'451 4.7.0 temporary server error'.",
            "Software",
            "E-mail",
            (2, 3),
            (M, D),
            fixes=(
                "Receiving side had blocklisted our outbound IP; delisted after "
                "contacting their postmaster, queue drained.",
            ),
            notes=("Queue at 1,240 messages, all for the same domain.",),
            escalate_to="network",
        ),
        Template(
            "Shared mailbox {dept}@ not receiving external mail",
            "Customers say their replies to {dept}@ bounce. Internal mail arrives.",
            "Software",
            "E-mail",
            (3,),
            (P, D),
            fixes=(
                "Transport rule from the migration rejected external senders; rule "
                "scoped correctly.",
            ),
        ),
    ),
    "vpn": (
        Template(
            "VPN tunnel to {site} flapping",
            "Site-to-site tunnel to the {site} office went down {n} times in the last "
            "hour (IKE SA re-negotiation). Users there lose access to file shares.",
            "Network",
            "VPN",
            (2, 3),
            (M,),
            fixes=(
                "Peer changed its DPD timers after a firmware update; aligned DPD and "
                "lifetime settings on both ends.",
            ),
            notes=(
                "Phase 1 keeps re-keying every ~8 minutes.",
                "ISP at {site} confirms no outage on their side.",
            ),
        ),
        Template(
            "Cannot connect to VPN from home office",
            "The VPN client says 'authentication failed' although my password works "
            "everywhere else.",
            "Network",
            "VPN",
            (4, 3),
            (P, D),
            fixes=(
                "Account was missing from the VPN-users group after a role change; "
                "added and confirmed with the user.",
            ),
            escalate_to="service-desk",
        ),
        Template(
            "VPN concentrator CPU above {pct}%",
            "vpn-gw-01 CPU has been above {pct}% for 15 minutes.",
            "Monitoring",
            "Capacity",
            (3,),
            (M,),
            fixes=("Enabled hardware crypto offload; CPU back to 35%.",),
        ),
    ),
    "wan": (
        Template(
            "Packet loss on WAN link to {site}",
            "Synthetic probes show {pct}% packet loss towards the {site} branch router.",
            "Network",
            "Connectivity",
            (2, 3),
            (M,),
            fixes=("Carrier replaced a faulty line card at their PoP.",),
            notes=("Opened ticket {case} with the carrier.",),
        ),
        Template(
            "{site} branch office offline",
            "Nobody in the {site} office can reach anything; router does not answer pings.",
            "Network",
            "Connectivity",
            (1, 2),
            (M, D),
            fixes=(
                "Power cut at the branch; router came back after the UPS was replaced.",
                "Fibre cut by road works; traffic failed over to the LTE backup, then restored.",
            ),
            weight=0.5,
        ),
        Template(
            "DNS lookups slow for internal zones in {site}",
            "Resolving intranet names takes 3-5 seconds in {site}.",
            "Network",
            "DNS",
            (3, 4),
            (P, D),
            fixes=("Branch resolver forwarded to a decommissioned DC; forwarders updated.",),
            escalate_to="network",
        ),
    ),
    "identity": (
        Template(
            "Account locked out: {person}",
            "{person} is locked out after the password change and cannot sign in.",
            "Access",
            "Account",
            (4,),
            (D, P),
            fixes=("Unlocked; an old phone kept trying the previous password.",),
        ),
        Template(
            "Password reset for {person}",
            "Please reset the password; the self-service reset link has expired.",
            "Access",
            "Password reset",
            (5, 4),
            (P, D),
            kind=REQUEST,
            fixes=("Password reset and the user signed in successfully.",),
        ),
        Template(
            "SSO login to {app} fails with SAML error",
            "Users get 'Invalid SAML response: signature validation failed' on {app}.",
            "Access",
            "Account",
            (2, 3),
            (P, D, M),
            fixes=("The IdP signing certificate rolled over; uploaded the new one to {app}.",),
            escalate_to="platform",
        ),
        Template(
            "Access to {app} for a new team member",
            "Please give {person} the same {app} access as the rest of the {dept} team.",
            "Access",
            "Permissions",
            (5,),
            (P,),
            kind=REQUEST,
            fixes=("Added to the {dept} role group; access confirmed.",),
            weight=1.5,
        ),
    ),
    "backup": (
        Template(
            "Nightly backup job failed on {host}",
            "Backup job for {host} ended with 'snapshot quiesce timed out'.",
            "Database",
            "Backup",
            (3,),
            (M,),
            fixes=("VSS writer hung; restarted the service and re-ran the job successfully.",),
            escalate_to="databases",
        ),
        Template(
            "Restore deleted folder on the {dept} share",
            "A folder with this quarter's files was deleted yesterday; please restore it.",
            "Hardware",
            "Storage",
            (4, 5),
            (P, D),
            kind=REQUEST,
            fixes=("Restored from last night's backup to the original location.",),
        ),
        Template(
            "Backup storage above {pct}% capacity",
            "Backup repository repo-02 is at {pct}%; retention jobs will start failing.",
            "Monitoring",
            "Capacity",
            (3,),
            (M,),
            fixes=("Expired restore points pruned; capacity order placed for next month.",),
        ),
    ),
    "siem": (
        Template(
            "Phishing e-mail reported by {dept}",
            "Several people in {dept} received an e-mail pretending to be a DocuSign "
            "request with a link to a look-alike domain.",
            "Security",
            "Phishing",
            (3, 2),
            (P, D),
            kind=SECURITY,
            fixes=(
                "Purged the message from all mailboxes, blocked the sender domain and "
                "the URL; nobody entered credentials.",
            ),
            notes=("{n} recipients, 2 clicked the link; forcing password resets for both.",),
            weight=1.5,
        ),
        Template(
            "Impossible-travel sign-in for {person}",
            "Sign-ins for {person} from {country} and the office within 40 minutes.",
            "Security",
            "Access violation",
            (2, 3),
            (M,),
            kind=SECURITY,
            fixes=(
                "Confirmed with the user it was a travel VPN; session reviewed, no action.",
                "Credential stuffing; password reset, MFA re-registered, sessions revoked.",
            ),
        ),
        Template(
            "Malware detected on laptop {asset}",
            "EDR quarantined a trojan downloader on {asset} ({dept}).",
            "Security",
            "Malware",
            (2, 3),
            (M,),
            kind=SECURITY,
            fixes=("Device isolated and re-imaged; no lateral movement found.",),
            notes=("Isolated the host from the network via EDR.",),
        ),
        Template(
            "Port scan from {ip} against the DMZ",
            "IDS signature ET SCAN hit {n}k times from {ip} in 10 minutes.",
            "Security",
            "Intrusion",
            (4, 3),
            (M,),
            kind=SECURITY,
            fixes=("Source blocked at the edge firewall; scan stopped, nothing exposed.",),
            escalate_to="network",
        ),
        Template(
            "Sensitive file shared publicly from the {dept} drive",
            "DLP found a spreadsheet with personal data shared with 'anyone with the link'.",
            "Security",
            "Data leak",
            (2,),
            (M, D),
            kind=SECURITY,
            fixes=("Link removed, access log reviewed: not opened externally. DPO informed.",),
            weight=0.5,
        ),
    ),
    "workplace": (
        Template(
            "Printer on floor {n} jams on every job",
            "The big printer by the kitchen jams on every print job since Monday.",
            "Hardware",
            "Printer",
            (4, 5),
            (P, D),
            fixes=("Replaced the fuser unit; vendor visit under the service contract.",),
        ),
        Template(
            "Laptop will not boot after the update",
            "After last night's update the laptop shows a blue screen on every start.",
            "Hardware",
            "Laptop",
            (3, 4),
            (P, D),
            fixes=("Rolled back the storage driver from the recovery console.",),
        ),
        Template(
            "New starter laptop for {person}",
            "{person} starts in {dept} on Monday; please prepare a laptop and accounts.",
            "Hardware",
            "Laptop",
            (5,),
            (P, D),
            kind=REQUEST,
            fixes=("Laptop imaged, enrolled and handed over with accounts.",),
            weight=1.5,
        ),
        Template(
            "Wi-Fi drops in {site} meeting rooms",
            "Video calls in the meeting rooms keep dropping; laptops lose Wi-Fi.",
            "Network",
            "Wi-Fi",
            (3, 4),
            (P, D),
            fixes=("Two access points on the same channel; channel plan fixed.",),
            escalate_to="network",
        ),
    ),
}
